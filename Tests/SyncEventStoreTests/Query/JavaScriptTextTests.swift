import Testing
@testable import SyncEventStore

@Suite("JavaScript text semantics (goldens from node)")
struct JavaScriptTextTests {
    @Test("trim matches String.prototype.trim", arguments: JSGoldens.trim.indices)
    func trim(index: Int) {
        let (input, expected) = JSGoldens.trim[index]
        #expect(Array(JavaScriptText.trim(input).unicodeScalars) == Array(expected.unicodeScalars))
    }

    @Test("number matches Number()", arguments: JSGoldens.number.indices)
    func number(index: Int) {
        let (input, expectedBits) = JSGoldens.number[index]
        let value = JavaScriptText.number(input)
        let expected = Double(bitPattern: expectedBits)
        if expected.isNaN {
            #expect(value.isNaN, "Number(\(input.debugDescription)) should be NaN, got \(value)")
        } else {
            #expect(value.bitPattern == expectedBits, "Number(\(input.debugDescription)) = \(expected), got \(value)")
        }
    }

    @Test("utf16Length counts UTF-16 code units")
    func utf16Length() {
        #expect(JavaScriptText.utf16Length("") == 0)
        #expect(JavaScriptText.utf16Length("abc") == 3)
        #expect(JavaScriptText.utf16Length("\u{E9}") == 1)
        #expect(JavaScriptText.utf16Length("e\u{301}") == 2)
        #expect(JavaScriptText.utf16Length("\u{1F600}") == 2)
        #expect(JavaScriptText.utf16Length("\u{1F1EB}\u{1F1F7}") == 4)
    }

    @Test("JSON string escaping matches JSON.stringify", arguments: JSGoldens.jsonString.indices)
    func jsonEscaping(index: Int) {
        let (input, expected) = JSGoldens.jsonString[index]
        var writer = IssueJSONWriter()
        writer.string(input)
        #expect(writer.bytes == Array(expected.utf8))
    }
}

@Suite("URL query decoding (goldens from node)")
struct URLQueryDecodingTests {
    @Test("decode matches URLSearchParams", arguments: JSGoldens.urlSearchParams.indices)
    func urlSearchParams(index: Int) {
        let (input, pairs) = JSGoldens.urlSearchParams[index]
        let expected = pairs.map { QueryItem(name: $0.0, value: $0.1) }
        #expect(URLQueryDecoding.decode(input) == expected, "input \(input.debugDescription)")
    }

    @Test("decodeLikeHono matches Hono's decoding", arguments: JSGoldens.honoQueries.indices)
    func hono(index: Int) {
        let (input, pairs) = JSGoldens.honoQueries[index]
        let expected = pairs.map { QueryItem(name: $0.0, value: $0.1) }
        #expect(URLQueryDecoding.decodeLikeHono(input) == expected, "input \(input.debugDescription)")
    }

    @Test("repeated names keep every value in order")
    func repeated() {
        #expect(URLQueryDecoding.decode("status=a&x=1&status=b") == [
            QueryItem(name: "status", value: "a"), QueryItem(name: "x", value: "1"),
            QueryItem(name: "status", value: "b"),
        ])
    }
}
