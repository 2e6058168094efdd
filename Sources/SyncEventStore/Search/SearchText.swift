/// The text `q` is matched against: `externalEventRef + "\n" + sourceRevisionRef`, JavaScript-lowercased.
enum SearchText {
    /// The raw search text as UTF-8.
    static func raw(external: String?, source: String?) -> [UInt8] {
        var out = Array((external ?? "").utf8)
        out.append(0x0A)
        out.append(contentsOf: (source ?? "").utf8)
        return out
    }

    /// The lowercased search text when it differs from the raw one, else `nil` (nothing to store).
    static func lowercased(external: String?, source: String?) -> [UInt8]? {
        let raw = raw(external: external, source: source)
        if raw.allSatisfy({ $0 < 0x80 && !($0 >= 0x41 && $0 <= 0x5A) }) { return nil }
        let lower = Array(JavaScriptCase.lowercase(String(decoding: raw, as: UTF8.self)).utf8)
        return lower == raw ? nil : lower
    }
}

