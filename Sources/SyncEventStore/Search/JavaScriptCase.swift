/// Case conversion that matches JavaScript's `String.prototype.toLowerCase()`.
///
/// JavaScript lowercasing is the Unicode *default* (locale-independent) full case
/// conversion: it applies the unconditional SpecialCasing mappings (for example
/// U+0130 `İ` becomes the two scalars `i` + U+0307) and the one context-dependent
/// rule that is not locale-specific, **Final_Sigma**: U+03A3 `Σ` becomes `ς` at the
/// end of a word and `σ` everywhere else.
///
/// Swift's `String.lowercased()` applies the same per-scalar mappings (verified for
/// every code point against node v20 / ICU 78, Unicode 17) but maps `Σ` to `σ`
/// unconditionally. This type reuses the standard library's per-scalar mapping
/// tables and adds the Final_Sigma rule, with the context classification that
/// ICU (and therefore V8/node) uses: a scalar that is both Cased and
/// Case_Ignorable (e.g. U+0345, U+02B0) is treated as case-ignorable.
///
/// Strings consisting only of ASCII take a fast path over their UTF-8 bytes that
/// processes eight bytes at a time and does not allocate when the input is
/// already lowercase.
public enum JavaScriptCase {
    /// Returns the JavaScript `toLowerCase()` of `s`.
    ///
    /// - Parameter s: The string to lowercase.
    /// - Returns: A string whose Unicode scalars equal those produced by
    ///   `s.toLowerCase()` in JavaScript (node v20, Unicode 17).
    public static func lowercase(_ s: String) -> String {
        let fast: FastPath? = s.utf8.withContiguousStorageIfAvailable { bytes in
            switch scanASCII(bytes) {
            case .notASCII: return .unicode
            case .asciiAlreadyLower: return .unchanged
            case .asciiWithUpper: return .lowered(lowercaseASCII(bytes))
            }
        }
        switch fast ?? .unicode {
        case .unchanged: return s
        case .lowered(let lowered): return lowered
        case .unicode: return lowercaseUnicode(s)
        }
    }

    /// Returns the UTF-8 bytes of the JavaScript `toLowerCase()` of `s`.
    ///
    /// - Parameter s: The string to lowercase.
    /// - Returns: The UTF-8 encoding of ``lowercase(_:)``.
    public static func lowercaseUTF8(_ s: String) -> [UInt8] {
        Array(lowercase(s).utf8)
    }

    // MARK: - ASCII fast path

    private enum FastPath {
        case unchanged
        case lowered(String)
        case unicode
    }

    private enum ASCIIScan {
        case notASCII
        case asciiAlreadyLower
        case asciiWithUpper
    }

    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Per-byte mask with 0x80 set in each byte that is `A`...`Z`. Only valid when
    /// every byte of `w` is < 0x80 (no carries cross byte boundaries then).
    @inline(__always)
    private static func upperMask(_ w: UInt64) -> UInt64 {
        let geA = w &+ 0x3F3F_3F3F_3F3F_3F3F  // high bit set iff byte >= 0x41 'A'
        let gtZ = w &+ 0x2525_2525_2525_2525  // high bit set iff byte >= 0x5B '['
        return geA & ~gtZ & highBits
    }

    private static func scanASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> ASCIIScan {
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return .asciiAlreadyLower }
        let raw = UnsafeRawPointer(base)
        var i = 0
        var upper: UInt64 = 0
        while i &+ 8 <= count {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if w & highBits != 0 { return .notASCII }
            upper |= upperMask(w)
            i &+= 8
        }
        var tailUpper = false
        while i < count {
            let b = base[i]
            if b >= 0x80 { return .notASCII }
            if b &- 0x41 < 26 { tailUpper = true }
            i &+= 1
        }
        return (upper != 0 || tailUpper) ? .asciiWithUpper : .asciiAlreadyLower
    }

    private static func lowercaseASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let count = bytes.count
        return String(unsafeUninitializedCapacity: count) { out in
            let src = UnsafeRawPointer(bytes.baseAddress!)
            let dst = UnsafeMutableRawPointer(out.baseAddress!)
            var i = 0
            while i &+ 8 <= count {
                let w = src.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                dst.storeBytes(of: w | (upperMask(w) &>> 2), toByteOffset: i, as: UInt64.self)
                i &+= 8
            }
            while i < count {
                let b = bytes[i]
                out[i] = (b &- 0x41 < 26) ? (b | 0x20) : b
                i &+= 1
            }
            return count
        }
    }

    // MARK: - General Unicode path

    private static func lowercaseUnicode(_ s: String) -> String {
        let scalars = s.unicodeScalars
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count &+ 8)
        var i = scalars.startIndex
        let end = scalars.endIndex
        while i < end {
            let scalar = scalars[i]
            let v = scalar.value
            if v < 0x80 {
                let b = UInt8(truncatingIfNeeded: v)
                out.append((b &- 0x41 < 26) ? (b | 0x20) : b)
            } else if v == 0x3A3 {
                // Final_Sigma: ς (CF 82) when final, σ (CF 83) otherwise.
                let final = isFinalSigma(scalars, at: i)
                out.append(0xCF)
                out.append(final ? 0x82 : 0x83)
            } else {
                let props = scalar.properties
                if props.changesWhenLowercased {
                    out.append(contentsOf: props.lowercaseMapping.utf8)
                } else {
                    appendUTF8(scalar, to: &out)
                }
            }
            scalars.formIndex(after: &i)
        }
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always)
    private static func appendUTF8(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        let v = scalar.value
        switch v {
        case 0..<0x80:
            out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    /// Context classification used by the Final_Sigma rule (mirrors ICU's
    /// `ucase_getTypeOrIgnorable`: case-ignorable wins over cased).
    private enum SigmaContext {
        case ignorable
        case cased
        case other
    }

    @inline(__always)
    private static func sigmaContext(_ scalar: Unicode.Scalar) -> SigmaContext {
        let v = scalar.value
        if v < 0x80 {
            // ASCII: letters are cased; ' . : ^ ` are case-ignorable.
            if (v | 0x20) &- 0x61 < 26 { return .cased }
            switch v {
            case 0x27, 0x2E, 0x3A, 0x5E, 0x60: return .ignorable
            default: return .other
            }
        }
        let props = scalar.properties
        if props.isCaseIgnorable { return .ignorable }
        if props.isCased { return .cased }
        return .other
    }

    /// Unicode Final_Sigma (Table 3-17): the Σ at `index` is preceded by a cased
    /// letter (skipping case-ignorable scalars) and is not followed by one.
    private static func isFinalSigma(
        _ scalars: String.UnicodeScalarView, at index: String.UnicodeScalarView.Index
    ) -> Bool {
        var precededByCased = false
        var j = index
        while j > scalars.startIndex {
            scalars.formIndex(before: &j)
            let ctx = sigmaContext(scalars[j])
            if ctx == .ignorable { continue }
            precededByCased = ctx == .cased
            break
        }
        guard precededByCased else { return false }
        var k = scalars.index(after: index)
        while k < scalars.endIndex {
            let ctx = sigmaContext(scalars[k])
            if ctx == .ignorable {
                scalars.formIndex(after: &k)
                continue
            }
            return ctx != .cased
        }
        return true
    }
}
