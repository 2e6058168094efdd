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
        _ = writeJSONReturningSummaryStart(to: &out, includingOrganization: includingOrganization)
    }

    /// ``writeJSON(to:includingOrganization:)``, returning where the `summaryJson` value starts in `out`.
    func writeJSONReturningSummaryStart(to out: inout [UInt8], includingOrganization: Bool) -> Int {
        // Each key is one static byte run with its punctuation, as in `RecordView.writeJSON`.
        @inline(__always) func raw(_ k: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        }
        @inline(__always) func id(_ v: TypeID?) {
            guard let v else { return raw("null") }
            out.append(UInt8(ascii: "\""))
            v.append(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        @inline(__always) func string(_ v: String?) {
            guard let v else { return raw("null") }
            JSONWriter.writeString(v, to: &out)
        }
        @inline(__always) func time(_ v: Timestamp?) {
            guard let v else { return raw("null") }
            out.append(UInt8(ascii: "\""))
            v.append(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        raw("{\"attemptCount\":")
        JSONWriter.writeInteger(Int64(attemptCount), to: &out)
        raw(",\"completedAt\":")
        time(completedAt)
        raw(",\"connectorInstanceId\":")
        id(connectorInstanceId)
        raw(",\"connectorTargetId\":")
        id(connectorTargetId)
        raw(",\"connectorType\":")
        string(connectorType.rawValue)
        raw(",\"eventType\":")
        string(eventType.rawValue)
        raw(",\"externalEventRef\":")
        string(externalEventRef)
        raw(",\"id\":")
        id(self.id)
        raw(",\"nextAttemptAt\":")
        time(nextAttemptAt)
        if includingOrganization {
            raw(",\"organizationId\":")
            id(organizationId)
        }
        raw(",\"remoteId\":")
        string(remoteId)
        raw(",\"sourceRevisionRef\":")
        string(sourceRevisionRef)
        raw(",\"startedAt\":")
        time(startedAt)
        raw(",\"status\":")
        string(status.rawValue)
        raw(",\"summaryJson\":")
        let summaryStart = out.count
        if let summaryJson { JSONWriter.write(.object(summaryJson), to: &out) } else { raw("null") }
        out.append(UInt8(ascii: "}"))
        return summaryStart
    }
}
