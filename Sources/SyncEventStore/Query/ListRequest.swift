/// A typed, valid request for one page of `GET /v1/connector-sync-events`.
public struct ListRequest: Sendable, Equatable {
    /// The opaque cursor of the previous page (or a bare `cse_…` id), `nil` for the first page.
    public var cursor: String?
    /// The page size, 1…100.
    public var limit: Int
    /// Only events of this connector instance.
    public var connectorInstanceId: TypeID?
    /// Only events of this connector target (never events without a target).
    public var connectorTargetId: TypeID?
    /// Only events of this type.
    public var eventType: EventType?
    /// Only events with this status.
    public var status: EventStatus?
    /// Only events whose lowercased `externalEventRef + "\n" + sourceRevisionRef` contains the
    /// lowercased `q` (already trimmed, 1…255 UTF-16 units).
    public var q: String?

    /// Creates a request; every filter defaults to "not given", `limit` to 50.
    public init(
        cursor: String? = nil, limit: Int = 50, connectorInstanceId: TypeID? = nil,
        connectorTargetId: TypeID? = nil, eventType: EventType? = nil, status: EventStatus? = nil,
        q: String? = nil
    ) {
        self.cursor = cursor
        self.limit = limit
        self.connectorInstanceId = connectorInstanceId
        self.connectorTargetId = connectorTargetId
        self.eventType = eventType
        self.status = status
        self.q = q
    }

    /// The typed form of a validated query (whose fields are known to parse).
    public init(_ query: ValidatedListQuery) {
        self.init(
            cursor: query.cursor, limit: query.limit,
            connectorInstanceId: query.connectorInstanceId.flatMap { TypeID.parse($0, prefix: .connectorInstance) },
            connectorTargetId: query.connectorTargetId.flatMap { TypeID.parse($0, prefix: .connectorTarget) },
            eventType: query.eventType.flatMap(EventType.init(rawValue:)),
            status: query.status.flatMap(EventStatus.init(rawValue:)), q: query.q)
    }

    /// Parses and validates raw query items as an HTTP server receives them (repeated names kept,
    /// unknown names ignored), as the reference did.
    public static func parse(_ items: [QueryItem]) -> Result<ListRequest, InvalidRequestError> {
        ListQueryValidator.validate(items).map(ListRequest.init)
    }

    /// Checks the request's own values (for callers that build it by hand).
    package func validated() throws(InvalidRequestError) -> ListRequest {
        var issues: [ValidationIssue] = []
        if !(1...100).contains(limit) {
            issues.append(
                ValidationIssue(
                    code: limit < 1 ? "too_small" : "too_big",
                    message: limit < 1 ? "Too small: expected number to be >=1" : "Too big: expected number to be <=100",
                    path: ["limit"]))
        }
        if let q, !(1...255).contains(q.utf16.count) {
            issues.append(ValidationIssue(code: "too_small", message: "q must be 1–255 characters", path: ["q"]))
        }
        if !issues.isEmpty { throw InvalidRequestError(details: issues) }
        return self
    }
}

/// One page of events.
public struct Page: Sendable, Equatable {
    /// The events of the page, newest first.
    public var events: [SyncEvent]
    /// The cursor of the next page; `nil` when this page ends the list.
    public var nextCursor: String?

    /// A page of `events`, continued by `nextCursor`.
    package init(events: [SyncEvent], nextCursor: String?) {
        self.events = events
        self.nextCursor = nextCursor
    }
}

/// An HTTP-ready answer of the list endpoint: the status and the exact body bytes.
public struct ListResponse: Sendable, Equatable {
    /// 200 for a page, 400 for an invalid request.
    public var status: Int
    /// The JSON body: the page (BEHAVIOUR.md §3) or the invalid-request error (§5).
    public var body: [UInt8]
    /// The number of events in the page (0 for a 400).
    public var itemCount: Int

    /// An answer with this status and body.
    package init(status: Int, body: [UInt8], itemCount: Int) {
        self.status = status
        self.body = body
        self.itemCount = itemCount
    }
}
