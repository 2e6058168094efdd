import Foundation
import PostgresNIO
import SyncEventStore

/// The list endpoint in SQL: the same filters, visibility, `q`, order and cursor as the embedded store.
///
/// One statement per page: `WHERE organization_id = … [AND filters] [AND (started_at, id) < cursor]
/// ORDER BY started_at DESC, id DESC LIMIT limit + 1`, served by the composite index of the filters.
/// `q` of 3 or more characters is a `LIKE` served by the trigram GIN index on the lowercased search text;
/// shorter ones (which trigrams cannot serve) are a `strpos` check on the rows the other filters select.
extension PostgresSyncEventStore {
    /// Why a page cannot be served: the cursor was refused.
    struct CursorRefusal: Error { let failure: PageCursor.Failure }

    /// The WHERE clause of a request for a viewer, binding its values; `nil` when nothing can match.
    static func filter(_ request: ListRequest, _ viewer: Viewer, binds: inout PostgresBindings) -> String? {
        func bind<V: PostgresDynamicTypeEncodable>(_ v: V) -> String {
            binds.append(v)
            return "$\(binds.count)"
        }
        var clauses = ["organization_id = " + bind(viewer.organization.uuid)]
        switch (viewer, request.connectorInstanceId) {
        case (.admin, nil): break
        case (.admin, let i?): clauses.append("connector_instance_id = " + bind(i.uuid))
        case (.member(_, let visible), nil):
            if visible.isEmpty { return nil }
            clauses.append("connector_instance_id = ANY(" + bind(visible.sorted().map(\.uuid)) + ")")
        case (.member(_, let visible), let i?):
            guard visible.contains(i) else { return nil }
            clauses.append("connector_instance_id = " + bind(i.uuid))
        }
        if let target = request.connectorTargetId { clauses.append("connector_target_id = " + bind(target.uuid)) }
        if let type = request.eventType { clauses.append("event_type = " + bind(type.rawValue)) }
        if let status = request.status { clauses.append("status = " + bind(status.rawValue)) }
        if let q = request.q {
            let needle = EventRow.textSafe(String(decoding: LowercasedNeedle(q).bytes, as: UTF8.self))
            if needle.unicodeScalars.count >= 3 {
                var pattern = "%"
                for c in needle.unicodeScalars {
                    if c == "\\" || c == "%" || c == "_" { pattern.unicodeScalars.append("\\") }
                    pattern.unicodeScalars.append(c)
                }
                pattern += "%"
                clauses.append("search_lower LIKE " + bind(pattern))
            } else if !needle.isEmpty {
                clauses.append("strpos(search_lower, " + bind(needle) + ") > 0")
            }
        }
        return clauses.joined(separator: " AND ")
    }

    /// One page: the `(startedAt, id, item, line?)` rows of up to `limit` events, and the next cursor.
    func page(_ request: ListRequest, _ viewer: Viewer, lines: Bool) async throws(SyncEventStoreError)
        -> (items: [ByteBuffer], events: [SyncEvent], next: String?)
    {
        let binding = PageCursor.binding(request, viewer)
        let secret = self.secret
        let t = self.t
        let logger = self.logger
        return try await transaction(readOnly: true) { conn in
            var binds = PostgresBindings()
            // The cursor is checked first, as the embedded store does: a refused cursor is a 400 even
            // when the viewer can see nothing.
            let filter = Self.filter(request, viewer, binds: &binds)
            var position: ListPosition?
            if let text = request.cursor {
                if text.hasPrefix("cse_") {
                    // The reference's cursor: the id of an event this query could return.
                    guard let id = TypeID.parse(text, prefix: .event), let filter else { throw CursorRefusal(failure: .unknownEvent) }
                    var probe = binds
                    probe.append(id.uuid)
                    let sql = "SELECT started_at FROM \(t.events) WHERE \(filter) AND id = $\(probe.count)"
                    var found: Int64?
                    for try await s in try await conn.query(PostgresQuery(unsafeSQL: sql, binds: probe), logger: logger)
                        .decode(Int64.self) { found = s }
                    guard let found else { throw CursorRefusal(failure: .unknownEvent) }
                    position = ListPosition(startedAt: found, id: id)
                } else {
                    do throws(PageCursor.Failure) {
                        position = try PageCursor.decode(text, binding: binding, secret: secret)
                    } catch {
                        throw CursorRefusal(failure: error)
                    }
                }
            }
            guard var clause = filter else { return ([], [], nil) }
            if let position {
                binds.append(position.startedAt)
                binds.append(position.id.uuid)
                clause += " AND (started_at, id) < ($\(binds.count - 1), $\(binds.count))"
            }
            let columns = lines ? "started_at, id, item, line" : "started_at, id, item, NULL::bytea"
            let sql = """
                SELECT \(columns) FROM \(t.events) WHERE \(clause)
                ORDER BY started_at DESC, id DESC LIMIT \(request.limit + 1)
                """
            var items: [ByteBuffer] = []
            var events: [SyncEvent] = []
            var last: ListPosition?
            var more = false
            let rows = try await conn.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            for try await (startedAt, id, item, line) in rows.decode((Int64, UUID, ByteBuffer, ByteBuffer?).self) {
                if items.count == request.limit {
                    more = true
                    continue
                }
                items.append(item)
                if let line { events.append(try EventRow.decode(line)) }
                last = ListPosition(startedAt: startedAt, id: TypeID(prefix: .event, uuid: id))
            }
            let next = more ? last.map { PageCursor.encode($0, binding: binding, secret: secret) } : nil
            return (items, events, next)
        }
    }

    /// Answers `GET /v1/connector-sync-events` (see ``SyncEventStore/listResponse(query:as:)``): the same
    /// validation and 400 bodies (shared code), the same page bodies and cursors.
    public func listResponse(query: [QueryItem], as viewer: Viewer) async throws(SyncEventStoreError) -> ListResponse {
        let request: ListRequest
        switch ListRequest.parse(query) {
        case .failure(let error): return ListResponse(status: 400, body: error.jsonBody(), itemCount: 0)
        case .success(let r): request = r
        }
        let page: (items: [ByteBuffer], events: [SyncEvent], next: String?)
        do { page = try await self.page(request, viewer, lines: false) } catch {
            if case .invalidRequest(let e) = error { return ListResponse(status: 400, body: e.jsonBody(), itemCount: 0) }
            throw error
        }
        var body: [UInt8] = Array(#"{"items":["#.utf8)
        for (i, item) in page.items.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: item.readableBytesView)
        }
        body.append(contentsOf: #"],"nextCursor":"#.utf8)
        if let c = page.next {
            // Cursors are base64url: no character needs escaping.
            body.append(UInt8(ascii: "\""))
            body.append(contentsOf: c.utf8)
            body.append(UInt8(ascii: "\""))
        } else {
            body.append(contentsOf: "null".utf8)
        }
        body.append(UInt8(ascii: "}"))
        return ListResponse(status: 200, body: body, itemCount: page.items.count)
    }

    /// One page of events for a typed request (see ``SyncEventStore/list(_:as:)``).
    /// - Throws: ``SyncEventStoreError/invalidRequest(_:)`` for a refused cursor or out-of-range values.
    public func list(_ request: ListRequest, as viewer: Viewer) async throws(SyncEventStoreError) -> Page {
        let valid: ListRequest
        do { valid = try request.validated() } catch { throw .invalidRequest(error) }
        let page = try await self.page(valid, viewer, lines: true)
        return Page(events: page.events, nextCursor: page.next)
    }
}
