import Foundation
import SyncEventStore

/// The full 200 body of a page of 50 events already in memory: the library's writer (what
/// `listResponse` does per item) against Foundation's `JSONEncoder` over a `Codable` mirror (what an
/// ordinary Swift server over GRDB records would do).
public struct EncodeScenario: Sendable {
    public let events: [SyncEvent]

    public init(_ d: Dataset) {
        events = try! d.lmdb.list(ListRequest(limit: 50), as: d.admin).events
    }

    /// The store's way: `{"items":[…],"nextCursor":null}` with `SyncEvent.writeJSON`.
    public func store() -> [UInt8] {
        var body: [UInt8] = Array(#"{"items":["#.utf8)
        body.reserveCapacity(50 * 640 + 128)
        for (k, e) in events.enumerated() {
            if k > 0 { body.append(UInt8(ascii: ",")) }
            e.writeJSON(to: &body, includingOrganization: false)
        }
        body.append(contentsOf: #"],"nextCursor":null}"#.utf8)
        return body
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// Foundation's way.
    public func foundation() -> Data {
        try! EncodeScenario.encoder.encode(PageDTO(items: events.map(EventDTO.init), nextCursor: nil))
    }
}

struct PageDTO: Encodable {
    var items: [EventDTO]
    var nextCursor: String?
    enum CodingKeys: String, CodingKey { case items, nextCursor }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(items, forKey: .items)
        try c.encode(nextCursor, forKey: .nextCursor)  // null written out
    }
}

struct EventDTO: Encodable {
    var attemptCount: Int
    var completedAt: String?
    var connectorInstanceId: String
    var connectorTargetId: String?
    var connectorType: String
    var eventType: String
    var externalEventRef: String?
    var id: String
    var nextAttemptAt: String?
    var remoteId: String?
    var sourceRevisionRef: String?
    var startedAt: String
    var status: String
    var summaryJson: JSONValueDTO?

    init(_ e: SyncEvent) {
        attemptCount = e.attemptCount
        completedAt = e.completedAt?.description
        connectorInstanceId = e.connectorInstanceId.description
        connectorTargetId = e.connectorTargetId?.description
        connectorType = e.connectorType.rawValue
        eventType = e.eventType.rawValue
        externalEventRef = e.externalEventRef
        id = e.id.description
        nextAttemptAt = e.nextAttemptAt?.description
        remoteId = e.remoteId
        sourceRevisionRef = e.sourceRevisionRef
        startedAt = e.startedAt.description
        status = e.status.rawValue
        summaryJson = e.summaryJson.map { JSONValueDTO(.object($0)) }
    }

    enum CodingKeys: String, CodingKey {
        case attemptCount, completedAt, connectorInstanceId, connectorTargetId, connectorType, eventType, externalEventRef,
            id, nextAttemptAt, remoteId, sourceRevisionRef, startedAt, status, summaryJson
    }
    func encode(to encoder: Encoder) throws {  // nulls written out, as the API does
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(attemptCount, forKey: .attemptCount)
        try c.encode(completedAt, forKey: .completedAt)
        try c.encode(connectorInstanceId, forKey: .connectorInstanceId)
        try c.encode(connectorTargetId, forKey: .connectorTargetId)
        try c.encode(connectorType, forKey: .connectorType)
        try c.encode(eventType, forKey: .eventType)
        try c.encode(externalEventRef, forKey: .externalEventRef)
        try c.encode(id, forKey: .id)
        try c.encode(nextAttemptAt, forKey: .nextAttemptAt)
        try c.encode(remoteId, forKey: .remoteId)
        try c.encode(sourceRevisionRef, forKey: .sourceRevisionRef)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(status, forKey: .status)
        try c.encode(summaryJson, forKey: .summaryJson)
    }
}

struct JSONValueDTO: Encodable {
    let value: JSONValue
    init(_ value: JSONValue) { self.value = value }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: Encoder) throws {
        switch value {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .number(.integer(let i)):
            var c = encoder.singleValueContainer()
            try c.encode(i)
        case .number(.double(let d)):
            var c = encoder.singleValueContainer()
            try c.encode(d)
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(JSONValueDTO(item)) }
        case .object(let object):
            var c = encoder.container(keyedBy: Key.self)
            for member in object.members { try c.encode(JSONValueDTO(member.value), forKey: Key(stringValue: member.key)) }
        }
    }
}
