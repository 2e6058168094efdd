/// One connector sync event: a record of one time a connector synced (or will sync) a target.
///
/// ```swift
/// let event = SyncEvent(
///     id: TypeID.generate(.event), organizationId: org, connectorInstanceId: instance,
///     connectorTargetId: target, eventType: .push, status: .queued, startedAt: .now)
/// try store.record(event)
/// ```
public struct SyncEvent: Sendable, Equatable {
    /// The event's id (`cse_…`), immutable.
    public var id: TypeID
    /// The organization (`org_…`) that owns the event; never written in API responses.
    public var organizationId: TypeID
    /// The connector instance (`cin_…`).
    public var connectorInstanceId: TypeID
    /// The connector target (`ctg_…`), if any.
    public var connectorTargetId: TypeID?
    /// The connector type.
    public var connectorType: ConnectorType
    /// The remote id, e.g. a repository's full name; 1–255 UTF-16 units.
    public var remoteId: String?
    /// What caused the sync.
    public var eventType: EventType
    /// The external reference, e.g. a webhook delivery id; 1–255 UTF-16 units.
    public var externalEventRef: String?
    /// The source revision, e.g. a commit SHA; 1–255 UTF-16 units.
    public var sourceRevisionRef: String?
    /// The lifecycle status.
    public var status: EventStatus
    /// The summary object, returned exactly as stored.
    public var summaryJson: JSONObject?
    /// When the current attempt started; a retry moves it to now.
    public var startedAt: Timestamp
    /// When the event finished.
    public var completedAt: Timestamp?
    /// Failures so far.
    public var attemptCount: Int
    /// When a queued retry becomes due.
    public var nextAttemptAt: Timestamp?

    /// Creates an event; optional fields default to `nil`, `attemptCount` to 0.
    public init(
        id: TypeID, organizationId: TypeID, connectorInstanceId: TypeID, connectorTargetId: TypeID? = nil,
        connectorType: ConnectorType = .github, remoteId: String? = nil, eventType: EventType,
        externalEventRef: String? = nil, sourceRevisionRef: String? = nil, status: EventStatus,
        summaryJson: JSONObject? = nil, startedAt: Timestamp, completedAt: Timestamp? = nil,
        attemptCount: Int = 0, nextAttemptAt: Timestamp? = nil
    ) {
        self.id = id
        self.organizationId = organizationId
        self.connectorInstanceId = connectorInstanceId
        self.connectorTargetId = connectorTargetId
        self.connectorType = connectorType
        self.remoteId = remoteId
        self.eventType = eventType
        self.externalEventRef = externalEventRef
        self.sourceRevisionRef = sourceRevisionRef
        self.status = status
        self.summaryJson = summaryJson
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.attemptCount = attemptCount
        self.nextAttemptAt = nextAttemptAt
    }
}

extension SyncEvent {
    /// The public JSON of the event (BEHAVIOUR.md §1): 14 fields in alphabetical order, nulls written,
    /// timestamps as `YYYY-MM-DDTHH:mm:ss.sssZ`; `organizationId` left out.
    public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        writeJSON(to: &out, includingOrganization: false)
        return out
    }

    /// The NDJSON line form: the public JSON plus `organizationId`, keys in alphabetical order, no newline.
    public var ndjsonLine: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(560)
        writeJSON(to: &out, includingOrganization: true)
        return out
    }

    /// Appends the event's JSON object.
    public func writeJSON(to out: inout [UInt8], includingOrganization: Bool) {
        func key(_ k: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
        }
        func id(_ v: TypeID?) {
            guard let v else { return out.append(contentsOf: "null".utf8) }
            out.append(UInt8(ascii: "\""))
            v.append(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        func string(_ v: String?) {
            guard let v else { return out.append(contentsOf: "null".utf8) }
            JSONWriter.writeString(v, to: &out)
        }
        func time(_ v: Timestamp?) {
            guard let v else { return out.append(contentsOf: "null".utf8) }
            out.append(UInt8(ascii: "\""))
            v.append(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "{"))
        key("attemptCount", first: true)
        JSONWriter.writeInteger(Int64(attemptCount), to: &out)
        key("completedAt")
        time(completedAt)
        key("connectorInstanceId")
        id(connectorInstanceId)
        key("connectorTargetId")
        id(connectorTargetId)
        key("connectorType")
        string(connectorType.rawValue)
        key("eventType")
        string(eventType.rawValue)
        key("externalEventRef")
        string(externalEventRef)
        key("id")
        id(self.id)
        key("nextAttemptAt")
        time(nextAttemptAt)
        if includingOrganization {
            key("organizationId")
            id(organizationId)
        }
        key("remoteId")
        string(remoteId)
        key("sourceRevisionRef")
        string(sourceRevisionRef)
        key("startedAt")
        time(startedAt)
        key("status")
        string(status.rawValue)
        key("summaryJson")
        if let summaryJson { JSONWriter.write(.object(summaryJson), to: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(UInt8(ascii: "}"))
    }
}
