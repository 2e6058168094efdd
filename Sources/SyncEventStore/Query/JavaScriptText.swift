/// JavaScript string semantics that the reference service (TypeScript) relies on.
///
/// Every function here mirrors one ECMAScript built-in exactly, so that values parsed by this
/// library compare, trim and convert the way the reference's did.
public enum JavaScriptText {
    /// Returns `s` without leading and trailing white space, exactly like JavaScript's
    /// `String.prototype.trim()`.
    ///
    /// The removed set is ECMAScript's *WhiteSpace* and *LineTerminator*: U+0009, U+000B,
    /// U+000C, U+0020, U+00A0, U+FEFF, every general-category `Zs` character (U+1680,
    /// U+2000…U+200A, U+202F, U+205F, U+3000), U+000A, U+000D, U+2028 and U+2029.
    /// U+180E (MONGOLIAN VOWEL SEPARATOR) is *not* white space, as in current JavaScript engines;
    /// nor are U+0085, U+200B or U+2060.
    public static func trim(_ s: String) -> String {
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isWhiteSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isWhiteSpace($0) })!
        return String(scalars[first...last])
    }

    /// Whether `scalar` is ECMAScript *WhiteSpace* or *LineTerminator* (the set `trim()` removes).
    public static func isWhiteSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A,
             0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
            return true
        default:
            return false
        }
    }

    /// The length of `s` as JavaScript counts it (`s.length`): UTF-16 code units.
    public static func utf16Length(_ s: String) -> Int {
        s.utf16.count
    }

    /// Converts `s` to a number exactly like JavaScript's `Number(s)` (ECMAScript
    /// *StringToNumber*).
    ///
    /// - The text is trimmed as by ``trim(_:)``; an empty result is `0`.
    /// - `0x`/`0X`, `0o`/`0O` and `0b`/`0B` prefixes read an unsigned integer in base 16, 8 or 2
    ///   (correctly rounded to the nearest `Double`); a sign before them gives `NaN`.
    /// - Otherwise a decimal literal with optional sign, optional fraction (`.5` and `5.` are
    ///   allowed), optional exponent (`e`/`E`, optional sign, at least one digit), or `Infinity`
    ///   with optional sign.
    /// - Anything else (underscores, `inf`, `nan`, hex floats, other digits) is `NaN`.
    public static func number(_ s: String) -> Double {
        let units = Array(trim(s).utf16)
        if units.isEmpty { return 0 }
        if units.count >= 2, units[0] == ascii("0") {
            switch units[1] {
            case ascii("x"), ascii("X"): return radixInteger(units[2...], bitsPerDigit: 4)
            case ascii("o"), ascii("O"): return radixInteger(units[2...], bitsPerDigit: 3)
            case ascii("b"), ascii("B"): return radixInteger(units[2...], bitsPerDigit: 1)
            default: break
            }
        }
        return decimalLiteral(units)
    }

    // MARK: - Decimal literals

    private static func ascii(_ c: Unicode.Scalar) -> UInt16 { UInt16(c.value) }

    private static func isDigit(_ u: UInt16) -> Bool { u >= 0x30 && u <= 0x39 }

    private static let infinityUnits: [UInt16] = Array("Infinity".utf16)

    /// *StrDecimalLiteral* of ECMAScript, or `NaN` when `units` is not one.
    private static func decimalLiteral(_ units: [UInt16]) -> Double {
        var i = 0
        var negative = false
        if units[i] == ascii("+") || units[i] == ascii("-") {
            negative = units[i] == ascii("-")
            i += 1
        }
        if Array(units[i...]) == infinityUnits {
            return negative ? -.infinity : .infinity
        }
        let integerStart = i
        while i < units.count, isDigit(units[i]) { i += 1 }
        let integerDigits = units[integerStart..<i]
        var fractionDigits = units[i..<i]
        if i < units.count, units[i] == ascii(".") {
            i += 1
            let fractionStart = i
            while i < units.count, isDigit(units[i]) { i += 1 }
            fractionDigits = units[fractionStart..<i]
        }
        if integerDigits.isEmpty && fractionDigits.isEmpty { return .nan }
        var exponentText = "0"
        if i < units.count, units[i] == ascii("e") || units[i] == ascii("E") {
            i += 1
            var sign = ""
            if i < units.count, units[i] == ascii("+") || units[i] == ascii("-") {
                sign = units[i] == ascii("-") ? "-" : ""
                i += 1
            }
            let exponentStart = i
            while i < units.count, isDigit(units[i]) { i += 1 }
            if exponentStart == i { return .nan }
            exponentText = sign + asciiString(units[exponentStart..<i])
        }
        if i != units.count { return .nan }
        // Normalized to a form every strtod accepts: [-]D+.D+eE
        let integerText = integerDigits.isEmpty ? "0" : asciiString(integerDigits)
        let fractionText = fractionDigits.isEmpty ? "0" : asciiString(fractionDigits)
        let text = (negative ? "-" : "") + integerText + "." + fractionText + "e" + exponentText
        guard let value = Double(text) else { return .nan }
        return value
    }

    private static func asciiString(_ units: ArraySlice<UInt16>) -> String {
        String(decoding: units.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
    }

    // MARK: - Binary, octal and hexadecimal integers

    /// The value of unsigned digits in base 2^`bitsPerDigit`, rounded to nearest, ties to even;
    /// `NaN` when there is no digit or a character is not a digit of that base.
    private static func radixInteger(_ digits: ArraySlice<UInt16>, bitsPerDigit: Int) -> Double {
        if digits.isEmpty { return .nan }
        var bits: [Bool] = []
        bits.reserveCapacity(digits.count * bitsPerDigit)
        for unit in digits {
            guard let value = digitValue(unit), value < (1 << bitsPerDigit) else { return .nan }
            for shift in stride(from: bitsPerDigit - 1, through: 0, by: -1) {
                let bit = (value >> shift) & 1 == 1
                if bits.isEmpty && !bit { continue }  // skip leading zeros
                bits.append(bit)
            }
        }
        if bits.isEmpty { return 0 }
        if bits.count <= 53 {
            var m: UInt64 = 0
            for bit in bits { m = m << 1 | (bit ? 1 : 0) }
            return Double(m)
        }
        var mantissa: UInt64 = 0
        for bit in bits[0..<53] { mantissa = mantissa << 1 | (bit ? 1 : 0) }
        let roundBit = bits[53]
        let sticky = bits[54...].contains(true)
        if roundBit && (sticky || mantissa & 1 == 1) { mantissa += 1 }
        let exponent = bits.count - 53
        return Double(sign: .plus, exponent: exponent, significand: Double(mantissa))
    }

    private static func digitValue(_ unit: UInt16) -> Int? {
        switch unit {
        case 0x30...0x39: return Int(unit - 0x30)
        case 0x41...0x46: return Int(unit - 0x41 + 10)
        case 0x61...0x66: return Int(unit - 0x61 + 10)
        default: return nil
        }
    }
}
