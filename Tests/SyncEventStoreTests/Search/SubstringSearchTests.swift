import Testing
@testable import SyncEventStore

@Suite("SubstringSearch")
struct SubstringSearchTests {
    func has(_ h: String, _ n: String) -> Bool {
        SubstringSearch.contains(haystack: Array(h.utf8), needle: Array(n.utf8))
    }

    @Test("Edge cases")
    func edgeCases() {
        #expect(has("", ""))
        #expect(has("abc", ""))
        #expect(!has("", "a"))
        #expect(!has("ab", "abc"))
        #expect(has("abc", "abc"))
        #expect(has("xxabc", "abc"))          // match at end
        #expect(has("abcxx", "abc"))          // match at start
        #expect(!has("abxabyab", "abc"))
        #expect(has("aaaaaaaaab", "aaab"))
        #expect(has("evt-1\nrev-2", "1\nrev"))  // across the separator
        #expect(has("evt-1\nrev-2", "\n"))
        #expect(!has("evt-1\nrev-2", "1rev"))
        #expect(has("straße", "ß"))
        #expect(!has("é", "e"))               // precomposed é does not contain e
        #expect(has("e\u{301}", "e"))         // decomposed does (byte semantics, like JS)
    }

    @Test("Raw buffer API with empty buffers")
    func rawBuffers() {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        let abc: [UInt8] = Array("abc".utf8)
        abc.withUnsafeBytes { buf in
            #expect(SubstringSearch.contains(haystack: buf, needle: empty))
            #expect(!SubstringSearch.contains(haystack: empty, needle: buf))
            #expect(SubstringSearch.contains(haystack: empty, needle: empty))
            #expect(SubstringSearch.contains(haystack: buf, needle: UnsafeRawBufferPointer(rebasing: buf[2...])))
        }
    }

    @Test("Agrees with a naive search on random data")
    func randomDifferential() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let h = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 97...99, using: &rng) }
            let n = (0..<Int.random(in: 0...5, using: &rng)).map { _ in UInt8.random(in: 97...99, using: &rng) }
            let naive = n.isEmpty || (n.count <= h.count && (0...(h.count - n.count)).contains { Array(h[$0..<($0 + n.count)]) == n })
            #expect(SubstringSearch.contains(haystack: h, needle: n) == naive)
        }
    }

    @Test("LowercasedNeedle matches the q filter semantics")
    func needle() {
        #expect(LowercasedNeedle("ABC").bytes == Array("abc".utf8))
        #expect(LowercasedNeedle("İ").bytes == Array("i\u{307}".utf8))
        #expect(LowercasedNeedle("ΑΣ").bytes == Array("ας".utf8))
        #expect(LowercasedNeedle("").isEmpty)
        let q = LowercasedNeedle("Evt-1\nREV")
        #expect(q.matches(externalEventRef: "EVT-1", sourceRevisionRef: "rev-9"))
        #expect(!q.matches(externalEventRef: "EVT-1", sourceRevisionRef: nil))
        #expect(LowercasedNeedle("").matches(externalEventRef: nil, sourceRevisionRef: nil))
        #expect(LowercasedNeedle("\n").matches(externalEventRef: nil, sourceRevisionRef: nil))
        #expect(LowercasedNeedle("ΟΔΥΣΣΕΥΣ").matches(externalEventRef: "Odysseus: ΟΔΥΣΣΕΥΣ", sourceRevisionRef: nil))
        #expect(LowercasedNeedle("ας").matches(externalEventRef: "ΑΣ", sourceRevisionRef: "x"))   // final at end of ref
        #expect(!LowercasedNeedle("ας").matches(externalEventRef: "ΑΣΑ", sourceRevisionRef: nil))
        #expect(LowercasedNeedle("ÄB").matches(externalEventRef: nil, sourceRevisionRef: "xäbx"))
        let hay = JavaScriptCase.lowercaseUTF8("A\nÉVT")
        #expect(hay.withUnsafeBytes { LowercasedNeedle("é").isContained(in: $0) })
    }
}
