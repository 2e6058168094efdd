/// Formatting of `Double` values exactly like JavaScript.
///
/// The output equals ECMAScript `Number::toString(x)` with radix 10, which is also
/// what `JSON.stringify` writes for a finite number: the shortest digit string
/// that round-trips (ties resolved towards the closest decimal), laid out in
/// plain notation when `1e-7 < |x| < 1e21` and in exponential notation
/// (`1e+21`, `1.5e-7`) otherwise.
public enum JavaScriptNumber {
    /// Returns JavaScript's `String(d)` for `d`.
    ///
    /// Finite values produce what `JSON.stringify` would write; `-0` prints `0`.
    /// Non-finite values produce `NaN`, `Infinity` and `-Infinity` (as
    /// `String(x)` does; note that `JSON.stringify` writes `null` for them).
    ///
    /// - Parameter d: The number to format.
    /// - Returns: The JavaScript string representation.
    public static func format(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == 0 { return "0" }
        // Fast path: integers that are exactly representable print all their digits.
        if d.magnitude < 9_007_199_254_740_992, d == d.rounded(.towardZero) {
            return String(Int64(d))
        }
        let (digits, n) = shortestDigits(d.magnitude)
        return layout(negative: d < 0, digits: digits, n: n)
    }

    /// Extracts the shortest round-trip decimal digits of a positive finite `x`
    /// from Swift's `description`, as `(digits, n)` with `x = 0.d1d2...dk × 10^n`,
    /// no leading or trailing zero digits.
    private static func shortestDigits(_ x: Double) -> (digits: [UInt8], n: Int) {
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        var intLen = 0
        var sawPoint = false
        var exponent = 0
        var exponentNegative = false
        var inExponent = false
        for c in x.description.utf8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if inExponent {
                    exponent = exponent * 10 + Int(c &- UInt8(ascii: "0"))
                } else {
                    digits.append(c &- UInt8(ascii: "0"))
                    if !sawPoint { intLen += 1 }
                }
            case UInt8(ascii: "."):
                sawPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                inExponent = true
            case UInt8(ascii: "-"):
                exponentNegative = inExponent
            default:
                break  // "+"
            }
        }
        var leading = 0
        while leading < digits.count, digits[leading] == 0 { leading += 1 }
        var trailing = digits.count
        while trailing > leading, digits[trailing - 1] == 0 { trailing -= 1 }
        let n = intLen - leading + (exponentNegative ? -exponent : exponent)
        return (Array(digits[leading..<trailing]), n)
    }

    /// Lays out digits per ECMAScript Number::toString steps 6-10.
    private static func layout(negative: Bool, digits: [UInt8], n: Int) -> String {
        let zero = UInt8(ascii: "0")
        let k = digits.count
        var out: [UInt8] = []
        out.reserveCapacity(k + 26)
        if negative { out.append(UInt8(ascii: "-")) }
        if k <= n && n <= 21 {
            // Integer: digits followed by n - k zeros.
            for d in digits { out.append(zero + d) }
            for _ in 0..<(n - k) { out.append(zero) }
        } else if 0 < n && n <= 21 {
            // Decimal point inside the digits.
            for d in digits[0..<n] { out.append(zero + d) }
            out.append(UInt8(ascii: "."))
            for d in digits[n...] { out.append(zero + d) }
        } else if -6 < n && n <= 0 {
            // 0.000ddd
            out.append(zero)
            out.append(UInt8(ascii: "."))
            for _ in 0..<(-n) { out.append(zero) }
            for d in digits { out.append(zero + d) }
        } else {
            // Exponential: d[.ddd]e±(n-1)
            out.append(zero + digits[0])
            if k > 1 {
                out.append(UInt8(ascii: "."))
                for d in digits[1...] { out.append(zero + d) }
            }
            out.append(UInt8(ascii: "e"))
            let e = n - 1
            out.append(e < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            out.append(contentsOf: String(e.magnitude).utf8)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
