import Testing
@testable import SyncEventStore

@Suite("Event JSON")
struct SyncEventJSONTests {
    static let golden =
        #"{"attemptCount":2,"completedAt":"2026-03-04T05:06:08.009Z","connectorInstanceId":"cin_01h2xcejqtf2nbrexx3vqjhp41","connectorTargetId":null,"connectorType":"github","eventType":"installation_repositories","externalEventRef":"Δelivery \"1\"","id":"cse_01h2xcejqtf2nbrexx3vqjhp42","nextAttemptAt":null,"remoteId":"acme/wídget","sourceRevisionRef":null,"startedAt":"2026-03-04T05:06:07.008Z","status":"partial","summaryJson":{"updatedCount":3,"createdCount":9007199254740991,"failures":[{"path":"x","why":["a",1.5,null]}]}}"#

    static func event() throws -> SyncEvent {
        SyncEvent(
            id: try TypeID(parsing: "cse_01h2xcejqtf2nbrexx3vqjhp42", expectingPrefix: .event),
            organizationId: try TypeID(parsing: "org_01h2xcejqtf2nbrexx3vqjhp43", expectingPrefix: .organization),
            connectorInstanceId: try TypeID(parsing: "cin_01h2xcejqtf2nbrexx3vqjhp41", expectingPrefix: .connectorInstance),
            connectorTargetId: nil, remoteId: "acme/wídget", eventType: .installationRepositories,
            externalEventRef: "Δelivery \"1\"", sourceRevisionRef: nil, status: .partial,
            summaryJson: try {
                guard case .object(let o) = try JSONParser.parse(
                    #"{"updatedCount":3,"createdCount":9007199254740991,"failures":[{"path":"x","why":["a",1.5,null]}]}"#)
                else { fatalError() }
                return o
            }(),
            startedAt: Timestamp(iso8601: "2026-03-04T05:06:07.008Z")!,
            completedAt: Timestamp(iso8601: "2026-03-04T05:06:08.009Z")!, attemptCount: 2)
    }

    @Test func matchesGoldenByteForByte() throws {
        let e = try Self.event()
        #expect(String(decoding: e.jsonBytes, as: UTF8.self) == Self.golden)
        // The zero-copy record view writes the same bytes.
        let encoded = RecordCodec.encode(e)
        var out: [UInt8] = []
        try encoded.withUnsafeBytes { try RecordView($0).writeJSON(to: &out) }
        #expect(String(decoding: out, as: UTF8.self) == Self.golden)
    }

    @Test func ndjsonLineRoundTrips() throws {
        let e = try Self.event()
        let line = e.ndjsonLine
        #expect(String(decoding: line, as: UTF8.self).contains(#""organizationId":"org_01h2xcejqtf2nbrexx3vqjhp43""#))
        #expect(try SyncEvent(jsonLine: line) == e)
    }

    @Test(arguments: [
        ("id", #""cse_123""#, "id"), ("status", #""done""#, "status"), ("eventType", "1", "eventType"),
        ("organizationId", "null", "organizationId"), ("startedAt", #""soon""#, "startedAt"),
        ("summaryJson", "[1]", "summaryJson"), ("remoteId", #""""#, "remoteId"),
        ("connectorTargetId", #""cin_01h2xcejqtf2nbrexx3vqjhp41""#, "connectorTargetId"),
    ])
    func decodingNamesTheBadField(field: String, value: String, expected: String) throws {
        var object = try { () -> JSONObject in
            guard case .object(let o) = try JSONParser.parse(try Self.event().ndjsonLine) else { fatalError() }
            return o
        }()
        object[field] = try JSONParser.parse(value)
        #expect(throws: RecordValidationError.self) { try SyncEvent(jsonObject: object) }
        do { _ = try SyncEvent(jsonObject: object) } catch { #expect(error.field == expected) }
        object[field] = nil
        do { _ = try SyncEvent(jsonObject: object) } catch { #expect(error.field == field) }
    }

    @Test func validationRules() throws {
        var e = try Self.event()
        e.remoteId = String(repeating: "😀", count: 128)  // 256 UTF-16 units
        #expect(throws: RecordValidationError(field: "remoteId", rule: "length must be 1–255 UTF-16 units, is 256")) {
            try e.validate()
        }
        e = try Self.event()
        e.summaryJson = ["blob": .string(String(repeating: "x", count: 70_000))]
        #expect(throws: RecordValidationError.self) { try e.validate() }
        var limits = RecordLimits()
        limits.maximumSummaryBytes = 100_000
        try e.validate(limits: limits)
        e = try Self.event()
        e.completedAt = Timestamp(millisecondsSince1970: e.startedAt.millisecondsSince1970 - 1)
        #expect(throws: RecordValidationError.self) { try e.validate() }
        e = try Self.event()
        e.connectorInstanceId = TypeID(prefix: .connectorTarget, high: 1, low: 1)
        #expect(throws: RecordValidationError.self) { try e.validate() }
    }
}
