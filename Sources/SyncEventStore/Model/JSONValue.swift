/// A JSON value that keeps what JavaScript's `JSON.parse` keeps: object key order and number values.
///
/// `summaryJson` is held as a ``JSONObject`` so that it round-trips exactly: keys in their order,
/// integers up to 2^53−1, nested arrays and objects.
public enum JSONValue: Sendable, Equatable, CustomStringConvertible {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number: an integer when it was written as one and fits in 53 bits, else a double.
    case number(JSONNumber)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, keys in order.
    case object(JSONObject)

    /// The compact JSON text, as JavaScript's `JSON.stringify` writes it.
    public var description: String {
        var out: [UInt8] = []
        JSONWriter.write(self, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// A JSON number as JavaScript holds it.
public enum JSONNumber: Sendable, Equatable {
    /// An integer of at most 53 bits of magnitude, written without fraction or exponent.
    case integer(Int64)
    /// Any other finite number.
    case double(Double)

    /// The number as a double.
    public var doubleValue: Double {
        switch self {
        case .integer(let i): return Double(i)
        case .double(let d): return d
        }
    }

    /// Whether two numbers are the same JavaScript number.
    public static func == (a: JSONNumber, b: JSONNumber) -> Bool { a.doubleValue == b.doubleValue }
}

/// A JSON object whose members keep their order.
public struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral, Sequence {
    /// The members, in order. Keys are unique.
    public private(set) var members: [(key: String, value: JSONValue)]

    /// An empty object.
    public init() { members = [] }

    /// An object from members in order; a repeated key keeps its first position and its last value,
    /// as `JSON.parse` does.
    public init(_ members: [(String, JSONValue)]) {
        var seen = Set<String>(minimumCapacity: members.count)
        if members.allSatisfy({ seen.insert($0.0).inserted }) {
            self.members = members.map { (key: $0.0, value: $0.1) }
            return
        }
        self.members = []
        for (k, v) in members { self[k] = v }
    }

    /// Creates an object from a literal, keeping the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }

    /// The value of `key`, or `nil`; setting appends a new key at the end or replaces in place.
    public subscript(key: String) -> JSONValue? {
        get { members.first(where: { $0.key == key })?.value }
        set {
            if let i = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    /// The number of members.
    public var count: Int { members.count }

    /// Iterates the members in order.
    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> { members.makeIterator() }

    /// Objects are equal when they hold the same keys in the same order with equal values.
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.members.count == b.members.count
            && zip(a.members, b.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    /// The compact JSON text of the object.
    public var jsonText: String {
        var out: [UInt8] = []
        JSONWriter.write(.object(self), to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Why a text is not JSON.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The byte offset where parsing stopped.
    public let offset: Int
    /// What was wrong there.
    public let reason: String
    /// Where in the value it happened: the member keys and array positions (`"[2]"`) leading to it,
    /// outermost first; empty at the top level.
    public var path: [String] = []
    /// Whether the text is JSON but breaks a rule of ``JSONParser/Options/strict`` (a repeated key or
    /// a lone surrogate), rather than not being JSON at all.
    public var isStrictRefusal = false

    /// Creates an error at `offset`.
    public init(offset: Int, reason: String, path: [String] = [], isStrictRefusal: Bool = false) {
        self.offset = offset
        self.reason = reason
        self.path = path
        self.isStrictRefusal = isStrictRefusal
    }

    /// `invalid JSON at byte N: reason`.
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }

    /// `a.b[2].c`: the ``path`` written as a JavaScript property path (a key that is empty or holds
    /// `.`, `[`, `]`, `"` or white space is written `["key"]`), or `nil` at the top level.
    public var pathText: String? { Self.pathText(path) }

    /// `path` written as ``pathText`` writes it, or `nil` when it is empty.
    public static func pathText(_ path: [String]) -> String? {
        guard !path.isEmpty else { return nil }
        var text = ""
        for (index, part) in path.enumerated() {
            if index > 0, part.hasPrefix("["), part.hasSuffix("]"), Int(part.dropFirst().dropLast()) != nil {
                text += part  // an array position
            } else if part.isEmpty || part.contains(where: { ".[]\"".contains($0) || $0.isWhitespace }) {
                var quoted: [UInt8] = []
                JSONWriter.writeString(part, to: &quoted)
                text += "[" + String(decoding: quoted, as: UTF8.self) + "]"
            } else {
                text += (index > 0 ? "." : "") + part
            }
        }
        return text
    }
}

/// A strict JSON parser (RFC 8259) over UTF-8 bytes that keeps key order.
public enum JSONParser {
    /// The deepest nesting accepted; deeper input is rejected instead of exhausting the stack.
    public static let maximumDepth = 256

    /// How forgiving the parser is with text that `JSON.parse` accepts but rewrites.
    public struct Options: Sendable, Equatable {
        /// Refuse an object that repeats a key (`JSON.parse` keeps the last value).
        public var refusesRepeatedKeys: Bool
        /// Refuse a `\uD800`–`\uDFFF` escape that is not half of a pair (`JSON.parse` keeps it as
        /// an unpaired UTF-16 unit; a Swift string cannot hold one and would need U+FFFD).
        public var refusesLoneSurrogates: Bool

        /// Creates options.
        public init(refusesRepeatedKeys: Bool, refusesLoneSurrogates: Bool) {
            self.refusesRepeatedKeys = refusesRepeatedKeys
            self.refusesLoneSurrogates = refusesLoneSurrogates
        }

        /// `JSON.parse`'s rules: the last of repeated keys wins, a lone surrogate becomes U+FFFD.
        public static let javaScript = Options(refusesRepeatedKeys: false, refusesLoneSurrogates: false)
        /// Nothing is rewritten: repeated keys and lone surrogates are refused (imports use this).
        public static let strict = Options(refusesRepeatedKeys: true, refusesLoneSurrogates: true)
    }

    /// Parses one JSON value that fills `bytes` (white space around it allowed).
    /// - Throws: ``JSONParseError`` with the byte offset, the reason and the path of keys to it.
    public static func parse(
        _ bytes: some Collection<UInt8>, options: Options = .javaScript
    ) throws(JSONParseError) -> JSONValue {
        let array = Array(bytes)
        var state = State(bytes: array, options: options)
        state.skipWhitespace()
        let value = try state.value(depth: 0)
        state.skipWhitespace()
        if state.i != array.count { throw JSONParseError(offset: state.i, reason: "unexpected text after the value") }
        return value
    }

    /// Parses a JSON text.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue { try parse(Array(text.utf8)) }

    struct State {
        let bytes: [UInt8]
        let options: Options
        var i = 0

        init(bytes: [UInt8], options: Options) {
            self.bytes = bytes
            self.options = options
        }

        /// Runs `body` for the value at `step` of the path, adding `step` to the path of an error.
        @inline(__always)
        func at<R>(_ step: @autoclosure () -> String, _ body: () throws(JSONParseError) -> R) throws(JSONParseError) -> R {
            do { return try body() } catch {
                var e = error
                e.path.insert(step(), at: 0)
                throw e
            }
        }

        func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: i, reason: reason) }

        mutating func skipWhitespace() {
            while i < bytes.count {
                switch bytes[i] {
                case 0x20, 0x09, 0x0A, 0x0D: i += 1
                default: return
                }
            }
        }

        mutating func literal(_ word: StaticString, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
            let n = word.utf8CodeUnitCount
            guard i + n <= bytes.count else { throw fail("unexpected end of input") }
            for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw fail("unexpected character") }
            i += n
            return value
        }

        mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
            guard depth < JSONParser.maximumDepth else { throw fail("nested deeper than \(JSONParser.maximumDepth)") }
            guard i < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var members: [(String, JSONValue)] = []
                skipWhitespace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(JSONObject())
                }
                var keys = Set<String>()
                while true {
                    skipWhitespace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key string") }
                    let keyOffset = i
                    let key = try string()
                    if options.refusesRepeatedKeys, !keys.insert(key).inserted {
                        throw JSONParseError(
                            offset: keyOffset, reason: "the key \"\(key)\" appears more than once in an object",
                            path: [key], isStrictRefusal: true)
                    }
                    skipWhitespace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    i += 1
                    skipWhitespace()
                    members.append((key, try at(key) { () throws(JSONParseError) in try value(depth: depth + 1) }))
                    skipWhitespace()
                    guard i < bytes.count else { throw fail("unexpected end of input") }
                    if bytes[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                    i += 1
                    return .object(JSONObject(members))
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [JSONValue] = []
                skipWhitespace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(items)
                }
                while true {
                    skipWhitespace()
                    let position = items.count
                    items.append(try at("[\(position)]") { () throws(JSONParseError) in try value(depth: depth + 1) })
                    skipWhitespace()
                    guard i < bytes.count else { throw fail("unexpected end of input") }
                    if bytes[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                    i += 1
                    return .array(items)
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw fail("unexpected character")
            }
        }

        mutating func number() throws(JSONParseError) -> JSONNumber {
            let start = i
            var isInteger = true
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            func isDigit(_ k: Int) -> Bool { k < bytes.count && bytes[k] >= 48 && bytes[k] <= 57 }
            guard isDigit(i) else { throw fail("expected a digit") }
            if bytes[i] == UInt8(ascii: "0") {
                i += 1
                if isDigit(i) { throw fail("leading zero in a number") }
            } else {
                while isDigit(i) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                isInteger = false
                i += 1
                guard isDigit(i) else { throw fail("expected a digit after '.'") }
                while isDigit(i) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                isInteger = false
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard isDigit(i) else { throw fail("expected a digit in the exponent") }
                while isDigit(i) { i += 1 }
            }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            if isInteger, let v = Int64(text), v.magnitude <= (1 << 53) { return .integer(v) }
            guard let d = Double(text), d.isFinite else { throw JSONParseError(offset: start, reason: "number out of range") }
            if d == d.rounded(), d.magnitude <= Double(1 << 53) { return .integer(Int64(d)) }
            return .double(d)
        }

        mutating func hex4() throws(JSONParseError) -> UInt32 {
            guard i + 4 <= bytes.count else { throw fail("unexpected end of input in \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                let d: UInt32
                switch c {
                case 48...57: d = UInt32(c - 48)
                case 65...70: d = UInt32(c - 55)
                case 97...102: d = UInt32(c - 87)
                default: throw fail("invalid \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        mutating func string() throws(JSONParseError) -> String {
            i += 1  // opening quote
            let start = i
            // Fast path: no escapes.
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\"") {
                    let slice = bytes[start..<i]
                    i += 1
                    guard let s = String(validating: slice, as: UTF8.self) else {
                        throw JSONParseError(offset: start, reason: "invalid UTF-8 in a string")
                    }
                    return s
                }
                if c == UInt8(ascii: "\\") { break }
                if c < 0x20 { throw fail("control character in a string") }
                i += 1
            }
            var out = Array(bytes[start..<i])
            while i < bytes.count {
                let c = bytes[i]
                switch c {
                case UInt8(ascii: "\""):
                    i += 1
                    guard let s = String(validating: out, as: UTF8.self) else {
                        throw JSONParseError(offset: start, reason: "invalid UTF-8 in a string")
                    }
                    return s
                case UInt8(ascii: "\\"):
                    i += 1
                    guard i < bytes.count else { throw fail("unexpected end of input") }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        let escapeOffset = i - 2
                        var scalar = try hex4()
                        if (0xD800...0xDBFF).contains(scalar), i + 6 <= bytes.count, bytes[i] == 0x5C,
                            bytes[i + 1] == UInt8(ascii: "u")
                        {
                            let save = i
                            i += 2
                            let low = try hex4()
                            if (0xDC00...0xDFFF).contains(low) {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                i = save
                            }
                        }
                        if options.refusesLoneSurrogates, (0xD800...0xDFFF).contains(scalar) {
                            let hex = String(scalar, radix: 16)
                            throw JSONParseError(
                                offset: escapeOffset,
                                reason: "lone surrogate \\u\(hex) (half of a UTF-16 pair without its other half)",
                                isStrictRefusal: true)
                        }
                        // A lone surrogate cannot live in a Swift string: it becomes U+FFFD.
                        let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                        out.append(contentsOf: Array(String(Character(u)).utf8))
                    default: throw fail("invalid escape")
                    }
                default:
                    if c < 0x20 { throw fail("control character in a string") }
                    out.append(c)
                    i += 1
                }
            }
            throw fail("unterminated string")
        }
    }
}
