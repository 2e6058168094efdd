/// A Den TypeID: a lowercase prefix, an underscore and 26 characters of Crockford base32 encoding 128 bits.
///
/// Ids of one prefix compare in the order of their strings, which is the order of their 128-bit values.
/// ```swift
/// let id = try TypeID(parsing: "cse_01h2xcejqtf2nbrexx3vqjhp41", expectingPrefix: .event)
/// print(id) // cse_01h2xcejqtf2nbrexx3vqjhp41
/// ```
public struct TypeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The prefixes this store knows.
    public enum Prefix: String, Sendable, CaseIterable {
        /// `cse_`: a connector sync event.
        case event = "cse"
        /// `org_`: an organization.
        case organization = "org"
        /// `cin_`: a connector instance.
        case connectorInstance = "cin"
        /// `ctg_`: a connector target.
        case connectorTarget = "ctg"
    }

    /// The prefix of this id.
    public let prefix: Prefix
    /// The upper 64 bits of the 128-bit value.
    public let high: UInt64
    /// The lower 64 bits of the 128-bit value.
    public let low: UInt64

    /// Creates an id from its prefix and 128-bit value.
    public init(prefix: Prefix, high: UInt64, low: UInt64) {
        self.prefix = prefix
        self.high = high
        self.low = low
    }

    /// Parses `text`, which must be a structurally valid TypeID with the given prefix.
    /// - Throws: ``TypeIDError`` naming every check of BEHAVIOUR.md §5 that failed.
    public init(parsing text: String, expectingPrefix prefix: Prefix) throws(TypeIDError) {
        var utf8 = Array(text.utf8)
        let failures = TypeID.check(&utf8, prefix: prefix)
        if !failures.isEmpty { throw TypeIDError(text: text, expectedPrefix: prefix, failures: failures) }
        let (h, l) = TypeID.decodeSuffix(utf8[(prefix.rawValue.utf8.count + 1)...])
        self.init(prefix: prefix, high: h, low: l)
    }

    /// Parses `text` without throwing; `nil` when it is not a valid TypeID with that prefix.
    public static func parse(_ text: some StringProtocol, prefix: Prefix) -> TypeID? {
        var bytes = Array(text.utf8)
        let p = prefix.rawValue.utf8.count
        guard bytes.count == p + 27, bytes.starts(with: prefix.rawValue.utf8), bytes[p] == UInt8(ascii: "_")
        else { return nil }
        return bytes.withUnsafeMutableBufferPointer { buf -> TypeID? in
            guard let (h, l) = decodeValidSuffix(UnsafeBufferPointer(rebasing: buf[(p + 1)...])) else { return nil }
            return TypeID(prefix: prefix, high: h, low: l)
        }
    }

    /// The four checks of BEHAVIOUR.md §5, in order; an empty result means the text is a valid id.
    public static func check(_ text: String, prefix: Prefix) -> [TypeIDError.Failure] {
        var utf8 = Array(text.utf8)
        return check(&utf8, prefix: prefix)
    }

    private static func check(_ utf8: inout [UInt8], prefix: Prefix) -> [TypeIDError.Failure] {
        var failures: [TypeIDError.Failure] = []
        let expected = prefix.rawValue + "_"
        // Length in UTF-16 units, as the reference counts it.
        let text = String(decoding: utf8, as: UTF8.self)
        if text.utf16.count != expected.utf16.count + 26 { failures.append(.length) }
        if !utf8.starts(with: expected.utf8) { failures.append(.prefix) }
        let suffix: ArraySlice<UInt8>
        if let underscore = utf8.firstIndex(of: UInt8(ascii: "_")) {
            suffix = utf8[(underscore + 1)...]
        } else {
            suffix = utf8[...]
        }
        if suffix.isEmpty || !suffix.allSatisfy({ alphabetValue[Int($0)] != 0xFF }) { failures.append(.alphabet) }
        if !isStructurallyValid(utf8) { failures.append(.structure) }
        return failures
    }

    /// A prefix of 1–63 lowercase letters (underscores allowed inside), `_`, then a 26-character suffix
    /// whose first character is 0–7.
    private static func isStructurallyValid(_ utf8: [UInt8]) -> Bool {
        guard let underscore = utf8.lastIndex(of: UInt8(ascii: "_")) else { return false }
        let prefix = utf8[..<underscore]
        let suffix = utf8[(underscore + 1)...]
        guard !prefix.isEmpty, prefix.count <= 63,
            prefix.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }),
            prefix.first != 0x5F, prefix.last != 0x5F
        else { return false }
        guard suffix.count == 26, let first = suffix.first, first >= 0x30, first <= 0x37 else { return false }
        return suffix.allSatisfy { alphabetValue[Int($0)] != 0xFF }
    }

    /// The 26-character suffix.
    public var suffix: String {
        var out = [UInt8](repeating: 0, count: 26)
        writeSuffix(into: &out, at: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical text, `prefix_suffix`.
    public var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(30)
        append(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the canonical text as UTF-8 bytes.
    @inlinable
    public func append(to out: inout [UInt8]) {
        out.append(contentsOf: prefix.rawValue.utf8)
        out.append(UInt8(ascii: "_"))
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: 26))
        writeSuffix(into: &out, at: start)
    }

    @usableFromInline
    func writeSuffix(into out: inout [UInt8], at start: Int) {
        // 130 bits: two zero bits followed by the 128-bit value, 5 bits a character.
        // A StaticString, not the `alphabet` array: a static `let` costs a `swift_once` call per access.
        let digits: StaticString = "0123456789abcdefghjkmnpqrstvwxyz"
        var h = high
        var l = low
        out.withUnsafeMutableBufferPointer { buffer in
            for i in stride(from: 25, through: 0, by: -1) {
                buffer[start + i] = digits.utf8Start[Int(l & 31)]
                l = (l >> 5) | (h << 59)
                h >>= 5
            }
        }
    }

    /// The 16 big-endian bytes of the value.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(16)
        appendBytes(to: &out)
        return out
    }

    /// Appends the 16 big-endian bytes of the value.
    @inlinable
    public func appendBytes(to out: inout [UInt8]) {
        withUnsafeBytes(of: high.bigEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: low.bigEndian) { out.append(contentsOf: $0) }
    }

    /// Reads an id of `prefix` from 16 big-endian bytes.
    public init(prefix: Prefix, bytes: some Collection<UInt8>) {
        var h: UInt64 = 0
        var l: UInt64 = 0
        var i = 0
        for b in bytes {
            if i < 8 { h = (h << 8) | UInt64(b) } else if i < 16 { l = (l << 8) | UInt64(b) }
            i += 1
        }
        self.init(prefix: prefix, high: h, low: l)
    }

    /// Ids compare by prefix text, then by value (the order of their strings).
    public static func < (a: TypeID, b: TypeID) -> Bool {
        if a.prefix != b.prefix { return a.prefix.rawValue < b.prefix.rawValue }
        return (a.high, a.low) < (b.high, b.low)
    }

    @usableFromInline
    static let alphabet: [UInt8] = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    static let alphabetValue: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    private static func decodeSuffix(_ s: ArraySlice<UInt8>) -> (UInt64, UInt64) {
        var h: UInt64 = 0
        var l: UInt64 = 0
        for c in s {
            let v = UInt64(alphabetValue[Int(c)])
            h = (h << 5) | (l >> 59)
            l = (l << 5) | v
        }
        return (h, l)
    }

    private static func decodeValidSuffix(_ s: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        guard s.count == 26, s[0] >= 0x30, s[0] <= 0x37 else { return nil }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for c in s {
            let v = alphabetValue[Int(c)]
            if v == 0xFF { return nil }
            h = (h << 5) | (l >> 59)
            l = (l << 5) | UInt64(v)
        }
        return (h, l)
    }
}

/// Why a text is not a TypeID: the failed checks of BEHAVIOUR.md §5, in order.
public struct TypeIDError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One of the four checks.
    public enum Failure: Sendable, Equatable {
        /// The text is not 30 characters long.
        case length
        /// The text does not start with the expected prefix and `_`.
        case prefix
        /// The suffix is empty or uses characters outside the lowercase base32 alphabet.
        case alphabet
        /// The text does not parse as a TypeID.
        case structure

        /// The reference's message for this failure.
        public func message(prefix: TypeID.Prefix) -> String {
            switch self {
            case .length: return "TypeID must be 30 characters (\(prefix.rawValue)_<26 char suffix>)"
            case .prefix: return "TypeID must start with '\(prefix.rawValue)_'"
            case .alphabet: return "TypeID suffix contains invalid base32 characters"
            case .structure: return "TypeID is structurally invalid"
            }
        }
    }

    /// The text that was rejected.
    public let text: String
    /// The prefix that was expected.
    public let expectedPrefix: TypeID.Prefix
    /// Every failed check, in the order of §5.
    public let failures: [Failure]

    /// The messages of all failed checks joined by "; ".
    public var description: String {
        "\"\(text)\" is not a valid \(expectedPrefix.rawValue)_ TypeID: "
            + failures.map { $0.message(prefix: expectedPrefix) }.joined(separator: "; ")
    }
}
