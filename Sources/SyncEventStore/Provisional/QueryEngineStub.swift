// PROVISIONAL (cli branch only): a slow stand-in for the query engine being built on main
// (`Viewer`, `ListResponse`, `listResponse(query:as:)`), so that the `syncevents` tool compiles and its
// tests run before that lands. Delete this file when merging main brings the real API.
// It scans every event of the organization and uses a bare event id as its cursor (the reference's
// behaviour, which BEHAVIOUR.md §3 still accepts).

/// Who is asking: an organization admin, or a member who sees some connector instances.
public enum Viewer: Sendable, Equatable {
    /// An owner or admin: every event of the organization.
    case admin(organization: TypeID)
    /// Any other member: the events of the instances they hold a grant on.
    case member(organization: TypeID, visibleInstances: Set<TypeID>)
}

/// The answer of the list endpoint: status, exact body bytes, number of items.
public struct ListResponse: Sendable {
    /// 200 or 400.
    public var status: Int
    /// The response body.
    public var body: [UInt8]
    /// The number of items in a 200 body.
    public var itemCount: Int
}

extension SyncEventStore {
    /// The list endpoint's response to `query` for `viewer` (provisional implementation).
    public func listResponse(query: [QueryItem], as viewer: Viewer) -> ListResponse {
        let validated: ValidatedListQuery
        switch ListQueryValidator.validate(query) {
        case .failure(let error): return ListResponse(status: 400, body: error.jsonBody(), itemCount: 0)
        case .success(let v): validated = v
        }
        let organization: TypeID
        var visible: Set<TypeID>? = nil
        switch viewer {
        case .admin(let org): organization = org
        case .member(let org, let instances):
            organization = org
            visible = instances
        }
        let needle = validated.q.map { LowercasedNeedle($0) }
        func matches(_ e: SyncEvent) -> Bool {
            if let visible, !visible.contains(e.connectorInstanceId) { return false }
            if let v = validated.connectorInstanceId, e.connectorInstanceId.description != v { return false }
            if let v = validated.connectorTargetId, e.connectorTargetId?.description != v { return false }
            if let v = validated.eventType, e.eventType.rawValue != v { return false }
            if let v = validated.status, e.status.rawValue != v { return false }
            if let needle, !needle.matches(externalEventRef: e.externalEventRef, sourceRevisionRef: e.sourceRevisionRef) {
                return false
            }
            return true
        }
        var all: [SyncEvent] = []
        do {
            try forEachEvent(organization: organization) { e in
                if matches(e) { all.append(e) }
                return true
            }
        } catch {
            return ListResponse(status: 500, body: Array("{\"error\":\"internal\"}".utf8), itemCount: 0)
        }
        all.sort { ($0.startedAt, $0.id) > ($1.startedAt, $1.id) }
        var start = 0
        if let cursor = validated.cursor {
            guard let id = TypeID.parse(cursor, prefix: .event), let i = all.firstIndex(where: { $0.id == id }) else {
                let issue = ValidationIssue(code: "custom", message: "Invalid cursor", path: ["cursor"])
                return ListResponse(
                    status: 400, body: InvalidRequestError(details: [issue]).jsonBody(), itemCount: 0)
            }
            start = i + 1
        }
        let page = all[start..<min(all.count, start + validated.limit)]
        var body = Array("{\"items\":[".utf8)
        for (n, e) in page.enumerated() {
            if n > 0 { body.append(UInt8(ascii: ",")) }
            e.writeJSON(to: &body, includingOrganization: false)
        }
        body.append(contentsOf: "],\"nextCursor\":".utf8)
        if start + page.count < all.count, let last = page.last {
            body.append(contentsOf: "\"\(last.id)\"".utf8)
        } else {
            body.append(contentsOf: "null".utf8)
        }
        body.append(UInt8(ascii: "}"))
        return ListResponse(status: 200, body: body, itemCount: page.count)
    }
}
