/// Helpers to decode the generated golden tables.
enum Golden {
    /// Parses comma-separated hex code points into a String.
    static func string(fromHexList list: Substring) -> String {
        var s = String.UnicodeScalarView()
        for part in list.split(separator: ",") {
            s.append(Unicode.Scalar(UInt32(part, radix: 16)!)!)
        }
        return String(s)
    }

    /// Lowercase table: scalar value -> expected lowercase string.
    static let lowercase: [UInt32: String] = {
        var map: [UInt32: String] = [:]
        for line in LowercaseGolden.table.split(separator: "\n") {
            let parts = line.split(separator: " ")
            map[UInt32(parts[0], radix: 16)!] = string(fromHexList: parts[1])
        }
        return map
    }()

    /// Sigma classes as sorted runs (start, class).
    static let sigmaRuns: [(start: UInt32, cls: Int)] = SigmaGolden.runs.split(separator: "\n").map {
        let parts = $0.split(separator: " ")
        return (UInt32(parts[0], radix: 16)!, Int(parts[1])!)
    }

    /// Every valid Unicode scalar U+0000...U+10FFFF (surrogates excluded).
    static var allScalars: some Sequence<Unicode.Scalar> {
        (UInt32(0)...0x10FFFF).lazy.compactMap { Unicode.Scalar($0) }
    }
}

extension String {
    /// Scalar-exact representation for assertion messages and comparisons.
    var scalarHex: String {
        unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: ",")
    }
}
