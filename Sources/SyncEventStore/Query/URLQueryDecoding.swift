/// One decoded `name=value` pair of a URL query, in the order it appeared.
public struct QueryItem: Sendable, Equatable {
    /// The decoded parameter name.
    public var name: String
    /// The decoded value; `""` when the pair had no `=`.
    public var value: String

    /// Creates a query item from an already decoded name and value.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// Turns the query part of a URL into ``QueryItem``s.
///
/// Two decoders are offered:
/// - ``decode(_:)`` is WHATWG `URLSearchParams` (`application/x-www-form-urlencoded`), the
///   standard behaviour.
/// - ``decodeLikeHono(_:)`` is what the reference service actually ran: Hono's
///   `c.req.queries()`, which differs only on malformed input (invalid UTF-8 in percent escapes
///   is kept as literal text instead of becoming U+FFFD, and pairs with an empty name are dropped).
public enum URLQueryDecoding {
    /// Parses `query` exactly like `new URLSearchParams(query)` in JavaScript.
    ///
    /// One leading `?` is removed. The text is split on `&`; empty pieces are skipped; each piece
    /// is split at its first `=` (no `=` means an empty value); `+` becomes a space; `%XX` escapes
    /// with two hex digits become bytes while any other `%` is kept as is; the bytes are then
    /// decoded as UTF-8, each invalid sequence becoming U+FFFD (WHATWG "UTF-8 decode without BOM").
    public static func decode(_ query: String) -> [QueryItem] {
        var bytes = Array(query.utf8)
        if bytes.first == UInt8(ascii: "?") { bytes.removeFirst() }
        var items: [QueryItem] = []
        for piece in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let nameBytes: ArraySlice<UInt8>
            let valueBytes: ArraySlice<UInt8>
            if let equals = piece.firstIndex(of: UInt8(ascii: "=")) {
                nameBytes = piece[piece.startIndex..<equals]
                valueBytes = piece[(equals + 1)...]
            } else {
                nameBytes = piece
                valueBytes = []
            }
            items.append(QueryItem(name: formDecode(nameBytes), value: formDecode(valueBytes)))
        }
        return items
    }

    /// Parses `query` the way the reference's Hono server did (`c.req.queries()`, Hono 4).
    ///
    /// One leading `?` is removed. The text is split on `&`; a piece is split at its first `=`;
    /// `+` becomes a space; then every maximal run of `%XX` escapes is decoded as UTF-8 when it is
    /// valid UTF-8 (as JavaScript's `decodeURIComponent` would) and kept literally otherwise; a
    /// `%` not followed by two hex digits is kept. Pieces whose decoded name is empty are dropped.
    public static func decodeLikeHono(_ query: String) -> [QueryItem] {
        var scalars = Array(query.unicodeScalars)
        if scalars.first == "?" { scalars.removeFirst() }
        var items: [QueryItem] = []
        for piece in scalars.split(separator: "&", omittingEmptySubsequences: false) {
            let name: ArraySlice<Unicode.Scalar>
            let value: ArraySlice<Unicode.Scalar>
            if let equals = piece.firstIndex(of: "=") {
                name = piece[piece.startIndex..<equals]
                value = piece[(equals + 1)...]
            } else {
                name = piece
                value = []
            }
            let decodedName = honoDecode(name)
            if decodedName.isEmpty { continue }
            items.append(QueryItem(name: decodedName, value: honoDecode(value)))
        }
        return items
    }

    // MARK: - WHATWG

    private static func formDecode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), i + 2 < bytes.endIndex,
                      let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2]) {
                out.append(high << 4 | low)
                i += 2
            } else {
                out.append(byte)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    // MARK: - Hono

    private static func hexValue(_ scalar: Unicode.Scalar) -> UInt8? {
        scalar.isASCII ? hexValue(UInt8(scalar.value)) : nil
    }

    private static func honoDecode(_ text: ArraySlice<Unicode.Scalar>) -> String {
        var result = String.UnicodeScalarView()
        var i = text.startIndex
        while i < text.endIndex {
            let scalar = text[i]
            if scalar == "+" {
                result.append(" ")
                i += 1
                continue
            }
            guard scalar == "%", escapeByte(text, at: i) != nil else {
                result.append(scalar)
                i += 1
                continue
            }
            // A maximal run of %XX escapes: decodeURIComponent either decodes all of it or fails.
            let runStart = i
            var bytes: [UInt8] = []
            while let byte = escapeByte(text, at: i) {
                bytes.append(byte)
                i += 3
            }
            // Valid UTF-8 exactly when decoding with repair changes nothing (portable check).
            let decoded = String(decoding: bytes, as: UTF8.self)
            if decoded.utf8.elementsEqual(bytes) {
                result.append(contentsOf: decoded.unicodeScalars)
            } else {
                result.append(contentsOf: text[runStart..<i])
            }
        }
        return String(result)
    }

    private static func escapeByte(_ text: ArraySlice<Unicode.Scalar>, at i: Int) -> UInt8? {
        guard i + 2 < text.endIndex, text[i] == "%",
              let high = hexValue(text[i + 1]), let low = hexValue(text[i + 2]) else { return nil }
        return high << 4 | low
    }
}
