import Foundation
import PostgresNIO
import SyncEventStore

extension TypeID {
    /// The id's 16 bytes as a PostgreSQL `uuid`.
    var uuid: UUID {
        let b = bytes
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    init(prefix: TypeID.Prefix, uuid: UUID) {
        self = withUnsafeBytes(of: uuid.uuid) { TypeID(prefix: prefix, bytes: $0) }
    }
}

/// How an event is kept in a row: the columns the queries filter and order by, the public JSON the
/// page bodies are made of, and the NDJSON line the event is decoded from.
enum EventRow {
    /// The columns, in the order ``bind(_:lease:to:)`` binds them.
    static let columns =
        "organization_id, id, connector_instance_id, connector_target_id, event_type, status, source_revision_ref, started_at, next_attempt_at, lease_expires_at, lease_token, search_lower, item, line"
    static let columnCount = 14

    /// PostgreSQL text cannot hold U+0000: it is kept as U+FFFF in the search text and in the needle.
    static func textSafe(_ s: String) -> String {
        s.utf8.contains(0) ? String(s.unicodeScalars.map { $0.value == 0 ? "\u{FFFF}" : Character($0) }) : s
    }

    /// The lowercased search text `q` is matched against: `externalEventRef + "\n" + sourceRevisionRef`,
    /// lowercased as JavaScript does (the embedded store's rule).
    static func searchText(_ e: SyncEvent) -> String {
        textSafe(JavaScriptCase.lowercase((e.externalEventRef ?? "") + "\n" + (e.sourceRevisionRef ?? "")))
    }

    /// Appends the event's 14 column values to `binds`.
    static func bind(_ e: SyncEvent, lease: (expiresAt: Timestamp, token: ClaimToken)?, to binds: inout PostgresBindings) {
        binds.append(e.organizationId.uuid)
        binds.append(e.id.uuid)
        binds.append(e.connectorInstanceId.uuid)
        binds.append(e.connectorTargetId?.uuid)
        binds.append(e.eventType.rawValue)
        binds.append(e.status.rawValue)
        binds.append(e.sourceRevisionRef.map(textSafe))
        binds.append(e.startedAt.millisecondsSince1970)
        binds.append(e.nextAttemptAt?.millisecondsSince1970)
        binds.append(lease.map { $0.expiresAt.millisecondsSince1970 })
        binds.append(lease.map { Int64(bitPattern: $0.token.value) })
        binds.append(searchText(e))
        binds.append(ByteBuffer(bytes: e.jsonBytes))
        binds.append(ByteBuffer(bytes: e.ndjsonLine))
    }

    /// The event a stored `line` holds.
    static func decode(_ line: ByteBuffer) throws -> SyncEvent {
        do { return try SyncEvent(jsonLine: line.readableBytesView) } catch {
            throw SyncEventStoreError.corrupted("a stored event does not decode: \(error)")
        }
    }
}

extension PostgresSyncEventStore {
    /// Writes `event` over its stored row (same organization and id), with the claim's lease if any.
    func update(_ event: SyncEvent, lease: (expiresAt: Timestamp, token: ClaimToken)? = nil, on conn: PostgresConnection)
        async throws
    {
        var binds = PostgresBindings()
        EventRow.bind(event, lease: lease, to: &binds)
        let sql = """
            UPDATE \(t.events) SET (\(EventRow.columns)) = ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            WHERE organization_id = $1 AND id = $2
            """
        try await conn.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
    }

    /// Inserts new events (ids checked by the caller; a race ends in a uniqueness error), in statements
    /// of at most 500 rows.
    func insert(_ events: [SyncEvent], on conn: PostgresConnection) async throws {
        for start in stride(from: 0, to: events.count, by: 500) {
            let chunk = events[start..<min(events.count, start + 500)]
            var binds = PostgresBindings(capacity: chunk.count * EventRow.columnCount)
            var rows: [String] = []
            var idBinds = PostgresBindings(capacity: chunk.count * 2)
            var idRows: [String] = []
            var targets = Set<[UUID]>()
            for (i, e) in chunk.enumerated() {
                EventRow.bind(e, lease: nil, to: &binds)
                let base = i * EventRow.columnCount
                rows.append("(" + (1...EventRow.columnCount).map { "$\(base + $0)" }.joined(separator: ",") + ")")
                idBinds.append(e.id.uuid)
                idBinds.append(e.organizationId.uuid)
                idRows.append("($\(2 * i + 1),$\(2 * i + 2))")
                if let target = e.connectorTargetId { targets.insert([target.uuid, e.organizationId.uuid]) }
            }
            try await conn.query(
                PostgresQuery(unsafeSQL: "INSERT INTO \(t.ids) (id, organization_id) VALUES " + idRows.joined(separator: ","), binds: idBinds),
                logger: logger)
            try await conn.query(
                PostgresQuery(unsafeSQL: "INSERT INTO \(t.events) (\(EventRow.columns)) VALUES " + rows.joined(separator: ","), binds: binds),
                logger: logger)
            if !targets.isEmpty {
                var tb = PostgresBindings()
                var tr: [String] = []
                for (i, pair) in targets.enumerated() {
                    tb.append(pair[0])
                    tb.append(pair[1])
                    tr.append("($\(2 * i + 1),$\(2 * i + 2))")
                }
                try await conn.query(
                    PostgresQuery(
                        unsafeSQL: "INSERT INTO \(t.targets) (connector_target_id, organization_id) VALUES " + tr.joined(separator: ",")
                            + " ON CONFLICT DO NOTHING", binds: tb),
                    logger: logger)
            }
        }
    }

    /// The first of `ids` that is already stored, if any.
    func firstExisting(_ ids: [TypeID], on conn: PostgresConnection) async throws -> TypeID? {
        for try await u in try await conn.query(
            "SELECT id FROM \(unescaped: t.ids) WHERE id = ANY(\(ids.map(\.uuid))) LIMIT 1", logger: logger
        ).decode(UUID.self) { return TypeID(prefix: .event, uuid: u) }
        return nil
    }

    /// The stored event `id` (of any organization), locked for update when `forUpdate`.
    func load(_ id: TypeID, forUpdate: Bool = false, on conn: PostgresConnection) async throws -> SyncEvent? {
        let lock = forUpdate ? " FOR UPDATE OF e" : ""
        let sql = """
            SELECT e.line FROM \(t.ids) i JOIN \(t.events) e ON e.organization_id = i.organization_id AND e.id = i.id
            WHERE i.id = $1\(lock)
            """
        var binds = PostgresBindings()
        binds.append(id.uuid)
        for try await line in try await conn.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(ByteBuffer.self) {
            return try EventRow.decode(line)
        }
        return nil
    }
}
