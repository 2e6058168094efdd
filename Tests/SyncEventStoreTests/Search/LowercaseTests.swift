import Testing
@testable import SyncEventStore

@Suite("JavaScriptCase.lowercase")
struct LowercaseTests {
    /// Lowercases and compares scalar by scalar (String == would use canonical equivalence).
    func check(_ input: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let got = JavaScriptCase.lowercase(input)
        #expect(got.scalarHex == expected.scalarHex, "input \(input.scalarHex)", sourceLocation: sourceLocation)
    }

    @Test("Every code point matches node's toLowerCase")
    func everyCodePoint() {
        let table = Golden.lowercase
        #expect(table.count == 1488)
        var mismatches: [String] = []
        for scalar in Golden.allScalars {
            let input = String(scalar)
            let expected = table[scalar.value] ?? input
            let got = JavaScriptCase.lowercase(input)
            if !got.unicodeScalars.elementsEqual(expected.unicodeScalars) {
                mismatches.append("\(String(scalar.value, radix: 16)): got \(got.scalarHex) want \(expected.scalarHex)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }

    @Test("Final_Sigma context class of every code point matches node")
    func sigmaContextEveryCodePoint() {
        let runs = Golden.sigmaRuns
        var run = 0
        var mismatches: [String] = []
        let a: Unicode.Scalar = "A", sigma: Unicode.Scalar = "\u{3A3}"
        for scalar in Golden.allScalars {
            while run + 1 < runs.count, runs[run + 1].start <= scalar.value { run += 1 }
            let expected = runs[run].cls
            func endsFinal(_ scalars: [Unicode.Scalar]) -> Bool {
                let l = JavaScriptCase.lowercase(String(String.UnicodeScalarView(scalars)))
                let finals = l.unicodeScalars.filter { $0 == "\u{3C2}" || $0 == "\u{3C3}" }
                return finals.last == "\u{3C2}"
            }
            func hasFinal(_ scalars: [Unicode.Scalar]) -> Bool {
                JavaScriptCase.lowercase(String(String.UnicodeScalarView(scalars))).unicodeScalars.contains("\u{3C2}")
            }
            let got = (endsFinal([scalar, sigma]) ? 1 : 0)
                | (endsFinal([a, scalar, sigma]) ? 2 : 0)
                | (!hasFinal([a, sigma, scalar]) ? 4 : 0)
                | (!hasFinal([a, sigma, scalar, a]) ? 8 : 0)
            if got != expected { mismatches.append("\(String(scalar.value, radix: 16)): got \(got) want \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }

    @Test("Random mixed strings match node")
    func mixedStrings() {
        var count = 0
        for line in MixedGolden.cases.split(separator: "\n") {
            let parts = line.split(separator: "|", omittingEmptySubsequences: false)
            check(Golden.string(fromHexList: parts[0]), Golden.string(fromHexList: parts[1]))
            count += 1
        }
        #expect(count == 800)
    }

    @Test("Final sigma contexts", arguments: [
        ("ΑΣ", "ας"), ("ΑΣ Α", "ας α"), ("Σ", "σ"), ("AΣ.", "aς."), ("ΑΣ'Α", "ασ'α"),
        ("ΑΣ1", "ας1"), ("ΑΣΑ", "ασα"), ("Α'Σ", "α'ς"), ("ΣΑ", "σα"), ("1Σ", "1σ"),
        ("ΑΣΣ", "ασς"), ("ΟΔΥΣΣΕΥΣ", "οδυσσευς"), ("ΑΣ\n", "ας\n"), ("ΑΣ\u{301}", "ας\u{301}"),
        ("ΑΣ\u{301}Α", "ασ\u{301}α"), ("\u{345}Σ", "\u{345}σ"), ("Α\u{345}Σ", "\u{3B1}\u{345}ς"),
        ("ΑΣ\u{345}", "ας\u{345}"), ("ΑΣ\u{345}Α", "ασ\u{345}α"), ("\u{2B0}Σ", "\u{2B0}σ"),
        ("Σ\u{10400}Σ", "σ\u{10428}ς"), ("ΑΣ😀", "ας😀"), ("ΑΣ\u{AD}Α", "ασ\u{AD}α"),
        ("ΑΣ Σ", "ας σ"), ("σΣ", "σς"), ("ςΣ", "ςς"),
    ])
    func sigma(_ input: String, _ expected: String) {
        check(input, expected)
    }

    @Test("Special casing and non-Latin scripts", arguments: [
        ("\u{130}", "i\u{307}"),                   // İ -> i + combining dot above
        ("İSTANBUL", "i\u{307}stanbul"),
        ("\u{1E9E}", "\u{DF}"),                     // ẞ -> ß
        ("ß", "ß"),
        ("I\u{131}", "i\u{131}"),                   // locale-independent: I -> i, ı unchanged
        ("\u{13A0}\u{13F5}", "\u{AB70}\u{13FD}"),  // Cherokee uppercase -> lowercase
        ("\u{AB70}", "\u{AB70}"),                   // Cherokee small letter stays
        ("\u{1C90}\u{1CBF}", "\u{10D0}\u{10FF}"),  // Georgian Mtavruli -> Mkhedruli
        ("\u{10A0}", "\u{2D00}"),                   // Georgian Asomtavruli
        ("\u{1C4}\u{1C5}", "\u{1C6}\u{1C6}"),      // DŽ, Dž -> dž
        ("\u{2126}\u{212A}\u{212B}", "\u{3C9}k\u{E5}"),  // Ohm, Kelvin, Angstrom
        ("\u{1F88}", "\u{1F80}"), ("\u{1FBC}", "\u{1FB3}"),
        ("\u{24B6}", "\u{24D0}"), ("\u{FF21}", "\u{FF41}"),
        ("\u{10400}", "\u{10428}"), ("\u{1E900}", "\u{1E922}"),
        ("\u{1F130}", "\u{1F130}"),                 // cased but no lowercase mapping
        ("A\u{30A}", "a\u{30A}"), ("\u{C5}", "\u{E5}"),  // no normalization either way
        ("Grüße, ÄÖÜ – 中文 😀 ΑΒΓ", "grüße, äöü – 中文 😀 αβγ"),
        ("", ""),
    ])
    func special(_ input: String, _ expected: String) {
        check(input, expected)
    }

    @Test("ASCII fast path agrees with the scalar path for all lengths")
    func asciiFastPath() {
        var rng = SystemRandomNumberGenerator()
        for length in 0..<70 {
            for _ in 0..<40 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...0x7F, using: &rng) }
                let s = String(decoding: bytes, as: UTF8.self)
                let expected = String(decoding: bytes.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
                check(s, expected)
                // Same content with a trailing non-ASCII scalar takes the Unicode path.
                check(s + "É", expected + "é")
            }
        }
        let all = String(decoding: Array(0...0x7F) as [UInt8], as: UTF8.self)
        check(all, String(decoding: (0...0x7F).map { (0x41...0x5A).contains($0) ? UInt8($0) | 0x20 : UInt8($0) }, as: UTF8.self))
        check("@[`{", "@[`{")  // neighbours of A-Z / a-z
        check("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
    }

    @Test("Lowercase of an already lowercase ASCII string is unchanged")
    func alreadyLower() {
        let s = "evt-0001\nrev-abcdef0123456789"
        #expect(JavaScriptCase.lowercase(s) == s)
        #expect(JavaScriptCase.lowercaseUTF8("ÉVT") == Array("évt".utf8))
    }
}
