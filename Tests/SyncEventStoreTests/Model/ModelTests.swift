import Testing
@testable import SyncEventStore

@Suite("TypeID")
struct TypeIDTests {
    @Test func roundTripsThroughText() throws {
        var random = SeededRandomSource(seed: 1)
        for _ in 0..<1000 {
            let id = TypeID(prefix: .event, high: random.next(), low: random.next())
            let parsed = try TypeID(parsing: id.description, expectingPrefix: .event)
            #expect(parsed == id)
            #expect(id.description.count == 30)
            #expect(TypeID.parse(id.description, prefix: .event) == id)
        }
    }

    @Test func orderOfIdsIsOrderOfStrings() {
        var random = SeededRandomSource(seed: 2)
        let ids = (0..<500).map { _ in TypeID(prefix: .event, high: random.next() >> UInt64(random.next() % 64), low: random.next()) }
        #expect(ids.sorted().map(\.description) == ids.map(\.description).sorted())
    }

    @Test func reportsEachFailedCheck() {
        #expect(TypeID.check("foo", prefix: .connectorInstance) == [.length, .prefix, .alphabet, .structure])
        #expect(TypeID.check("cin_8zzzzzzzzzzzzzzzzzzzzzzzzz", prefix: .connectorInstance) == [.structure])
        #expect(TypeID.check("cin_", prefix: .connectorInstance) == [.length, .alphabet, .structure])
        #expect(TypeID.check("cin_01H2XCEJQTF2NBREXX3VQJHP41", prefix: .connectorInstance) == [.alphabet, .structure])
        #expect(TypeID.check("cin_01h2xcejqtf2nbrexx3vqjhp41", prefix: .connectorInstance).isEmpty)
        #expect(throws: TypeIDError.self) { try TypeID(parsing: "cse_01h2xcejqtf2nbrexx3vqjhp41", expectingPrefix: .organization) }
    }

    @Test func generatedIdsAreTimeOrderedUUIDv7() {
        var random = SeededRandomSource(seed: 3)
        let a = TypeID.generate(.event, now: Timestamp(millisecondsSince1970: 1_000), random: &random)
        let b = TypeID.generate(.event, now: Timestamp(millisecondsSince1970: 1_001), random: &random)
        #expect(a < b)
        #expect((a.high >> 12) & 0xF == 7)
        #expect(a.high >> 16 == 1_000)
    }
}

@Suite("Timestamp")
struct TimestampTests {
    @Test func formatsAsJavaScriptToISOString() {
        #expect(Timestamp(millisecondsSince1970: 0).description == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSince1970: 1_767_225_600_123).description == "2026-01-01T00:00:00.123Z")
        #expect(Timestamp(millisecondsSince1970: -1).description == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp.latest.description == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp.earliest.description == "0001-01-01T00:00:00.000Z")
    }

    @Test func parsesWhatItWritesAndOffsets() {
        var random = SeededRandomSource(seed: 4)
        for _ in 0..<2000 {
            let ms = Int64(bitPattern: random.next() % 253_402_300_799_999)
            let t = Timestamp(millisecondsSince1970: ms)
            #expect(Timestamp(iso8601: t.description) == t)
        }
        #expect(Timestamp(iso8601: "2026-01-01T01:00:00+01:00")?.millisecondsSince1970 == 1_767_225_600_000)
        #expect(Timestamp(iso8601: "2026-01-01T00:00:00.1234567Z")?.millisecondsSince1970 == 1_767_225_600_123)
        #expect(Timestamp(iso8601: "2026-02-30T00:00:00Z") == nil)
        #expect(Timestamp(iso8601: "yesterday") == nil)
        #expect(Timestamp(iso8601: "2026-01-01T00:00:00") == nil)
    }
}

@Suite("JSON values")
struct JSONValueTests {
    @Test func roundTripsExactly() throws {
        let texts = [
            #"{"b":1,"a":[1,2,{"z":null,"y":true}],"c":"é\n\"x\"","d":9007199254740991,"e":-3,"f":1.5,"g":{}}"#,
            #"{"failures":[{"path":"a/b","reason":"too big"}],"createdCount":0}"#,
            "{}",
        ]
        for text in texts {
            let value = try JSONParser.parse(text)
            #expect(value.description == text)
        }
    }

    @Test func followsJavaScriptForNumbersAndDuplicates() throws {
        #expect(try JSONParser.parse(#"{"a":1.0,"b":1e2,"c":-0}"#).description == #"{"a":1,"b":100,"c":0}"#)
        #expect(try JSONParser.parse(#"{"a":1,"b":2,"a":3}"#).description == #"{"a":3,"b":2}"#)
        #expect(try JSONParser.parse(#"["\u00e9\ud83d\ude00\u0001"]"#).description == "[\"é😀\\u0001\"]")
    }

    @Test func rejectsInvalidJSON() {
        for bad in ["{", #"{"a":}"#, "[1,]", "01", #""\x""#, "{\"a\":1} x", "nul", String(repeating: "[", count: 1000)] {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(bad) }
        }
    }
}
