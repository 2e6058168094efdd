import Testing

@testable import SyncEventStore

/// Issue 10: an import line is refused, with the field named, instead of being silently rewritten when
/// it repeats a key, carries an unknown field or a lone surrogate, or starts with a byte order mark.
@Suite("Import line checks")
struct ImportLineCheckTests {
    static let line = String(decoding: try! SyncEventJSONTests.event().ndjsonLine, as: UTF8.self)

    /// The line with `text` inserted just before its closing brace.
    static func adding(_ text: String) -> String { String(line.dropLast()) + "," + text + "}" }

    func refusal(_ text: String) -> RecordValidationError? {
        do {
            _ = try SyncEvent(jsonLine: Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func theUnchangedLineDecodes() throws {
        #expect(try SyncEvent(jsonLine: Array(Self.line.utf8)) == SyncEventJSONTests.event())
    }

    @Test func aSecondOrganizationIdIsRefusedNotMovedToIt() throws {
        let moved = Self.adding(#""organizationId":"org_01h2xcejqtf2nbrexx3vqjhp44""#)
        let error = try #require(refusal(moved))
        #expect(error.field == "organizationId")
        #expect(error.rule.contains("appears more than once"))
    }

    @Test(arguments: [
        (#""status":"failed""#, "status"),
        (#""summaryJson":null"#, "summaryJson"),
        (#""attemptCount":2"#, "attemptCount"),
    ])
    func anyRepeatedFieldIsRefused(extra: String, field: String) throws {
        #expect(refusal(Self.adding(extra))?.field == field)
    }

    @Test func aRepeatedKeyInsideSummaryJsonIsRefusedWithItsPath() throws {
        let text = Self.line.replacingOccurrences(
            of: #""summaryJson":{"updatedCount":3,"#, with: #""summaryJson":{"updatedCount":3,"updatedCount":4,"#)
        #expect(text != Self.line)
        let error = try #require(refusal(text))
        #expect(error.field == "summaryJson.updatedCount")
        #expect(error.rule.contains("appears more than once"))
    }

    @Test(arguments: ["organisationId", "startedAtX", "payload"])
    func anUnknownFieldIsRefused(name: String) throws {
        let error = try #require(refusal(Self.adding("\"\(name)\":1")))
        #expect(error.field == name)
        #expect(error.rule == "is not a field of an event")
    }

    @Test(arguments: [
        (#"\ud800"#, "\\ud800"), (#"\udc00"#, "\\udc00"), (#"\ud83dx"#, "\\ud83d"), (#"\ud83d\u0041"#, "\\ud83d"),
        (#"\ude00\ud83d"#, "\\ude00"),
    ])
    func aLoneSurrogateIsRefusedNotReplaced(escape: String, named: String) throws {
        let text = Self.line.replacingOccurrences(
            of: #""remoteId":"acme/wídget""#, with: "\"remoteId\":\"a\(escape)b\"")
        #expect(text != Self.line)
        let error = try #require(refusal(text))
        #expect(error.field == "remoteId")
        #expect(error.rule.contains("lone surrogate \(named)"))
    }

    @Test func aLoneSurrogateInsideSummaryJsonNamesItsPath() throws {
        let text = Self.line.replacingOccurrences(of: #"{"path":"x""#, with: #"{"path":"\udbff""#)
        let error = try #require(refusal(text))
        #expect(error.field == "summaryJson.failures[0].path")
    }

    @Test func aPairedSurrogateIsStillAccepted() throws {
        let text = Self.line.replacingOccurrences(of: #""remoteId":"acme/wídget""#, with: #""remoteId":"\ud83d\ude00""#)
        #expect(try SyncEvent(jsonLine: Array(text.utf8)).remoteId == "😀")
    }

    @Test func aLeadingByteOrderMarkIsNamed() throws {
        let error = try #require(refusal("\u{FEFF}" + Self.line))
        #expect(error.field == "json")
        #expect(error.rule.contains("byte order mark"))
    }

    @Test func theGeneralParserStillFollowsJSONParse() throws {
        // Stored summaries and other callers keep JavaScript's rules; only the strict mode refuses.
        #expect(try JSONParser.parse(#"{"a":1,"a":2}"#).description == #"{"a":2}"#)
        #expect(try JSONParser.parse(#"["\ud800"]"#).description == "[\"\u{FFFD}\"]")
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(#"{"a":1,"a":2}"#.utf8), options: .strict) }
        do {
            _ = try JSONParser.parse(Array(#"{"a":[1,{"b":"\udfff"}]}"#.utf8), options: .strict)
        } catch {
            #expect(error.path == ["a", "[1]", "b"])
            #expect(error.offset == 14)
        }
    }
}
