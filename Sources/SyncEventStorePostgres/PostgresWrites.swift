import Foundation
import PostgresNIO
import SyncEventStore

/// Records, look-ups, deletes and retention: each one transaction.
extension PostgresSyncEventStore {
    /// Records one new event (see ``SyncEventStore/record(_:)``).
    public func record(_ event: SyncEvent) async throws(SyncEventStoreError) {
        try await record(contentsOf: [event])
    }

    /// Records new events in one transaction: all of them, or none when any is invalid or already stored.
    public func record(contentsOf events: [SyncEvent]) async throws(SyncEventStoreError) {
        for (i, e) in events.enumerated() {
            do { try e.validate(limits: configuration.limits) } catch {
                var error = error
                if events.count > 1 { error.index = i }
                throw .invalidRecord(error)
            }
        }
        var seen = Set<TypeID>()
        for e in events where !seen.insert(e.id).inserted { throw .duplicateID(e.id) }
        guard !events.isEmpty else { return }
        try await transaction { conn in
            if let existing = try await self.firstExisting(events.map(\.id), on: conn) {
                throw SyncEventStoreError.duplicateID(existing)
            }
            try await self.insert(events, on: conn)
        }
    }

    /// The event with this id, or `nil`.
    public func event(id: TypeID) async throws(SyncEventStoreError) -> SyncEvent? {
        try await transaction(readOnly: true) { conn in try await self.load(id, on: conn) }
    }

    /// One event as `viewer` may see it (see ``SyncEventStore/event(id:as:)``).
    public func event(id: TypeID, as viewer: Viewer) async throws(SyncEventStoreError) -> EventLookup {
        let t = self.t
        let logger = self.logger
        let event = try await transaction(readOnly: true) { conn -> SyncEvent? in
            let rows = try await conn.query(
                "SELECT line FROM \(unescaped: t.events) WHERE organization_id = \(viewer.organization.uuid) AND id = \(id.uuid)",
                logger: logger)
            for try await line in rows.decode(ByteBuffer.self) { return try EventRow.decode(line) }
            return nil
        }
        guard let event else { return .notFound }
        return viewer.canSee(instance: event.connectorInstanceId) ? .found(event) : .forbidden
    }

    /// The number of events in the store.
    public var count: Int {
        get async throws(SyncEventStoreError) {
            let t = self.t
            let logger = self.logger
            return try await transaction(readOnly: true) { conn in
                for try await n in try await conn.query("SELECT count(*) FROM \(unescaped: t.ids)", logger: logger).decode(Int64.self) {
                    return Int(n)
                }
                return 0
            }
        }
    }

    /// Runs a `DELETE … RETURNING organization_id, id` statement on events and removes the ids it
    /// returns from the id map. - Returns: how many events were removed.
    func deleteRows(_ deleteSQL: String, binds: PostgresBindings, returning: String = "id") async throws(SyncEventStoreError) -> Int {
        let t = self.t
        let logger = self.logger
        return try await transaction { conn in
            let sql = """
                WITH gone AS (\(deleteSQL) RETURNING \(returning) AS id), unmapped AS (DELETE FROM \(t.ids) WHERE id IN (SELECT id FROM gone) RETURNING 1)
                SELECT count(*) FROM unmapped
                """
            for try await n in try await conn.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(Int64.self) {
                return Int(n)
            }
            return 0
        }
    }

    /// Deletes every event of one connector instance of `organization`. - Returns: how many.
    @discardableResult
    public func deleteEvents(ofInstance instance: TypeID, in organization: TypeID) async throws(SyncEventStoreError) -> Int {
        try await deleteEvents(ofInstances: [instance], in: organization)
    }

    /// Deletes every event of the connector instances `instances` of `organization`. - Returns: how many.
    @discardableResult
    public func deleteEvents(ofInstances instances: [TypeID], in organization: TypeID) async throws(SyncEventStoreError) -> Int {
        var binds = PostgresBindings()
        binds.append(organization.uuid)
        binds.append(instances.map(\.uuid))
        return try await deleteRows(
            "DELETE FROM \(t.events) WHERE organization_id = $1 AND connector_instance_id = ANY($2)", binds: binds)
    }

    /// Deletes every event of `organization`. - Returns: how many.
    @discardableResult
    public func deleteEvents(ofOrganization organization: TypeID) async throws(SyncEventStoreError) -> Int {
        var binds = PostgresBindings()
        binds.append(organization.uuid)
        return try await deleteRows("DELETE FROM \(t.events) WHERE organization_id = $1", binds: binds)
    }

    /// Retention, as ``SyncEventStore/prune(olderThan:keepingLatest:)``: per target (events without a
    /// target: per connector instance) the newest `keepingLatest` stay; older finished events that
    /// started before `cutoff` go. One transaction. - Returns: how many were removed.
    @discardableResult
    public func prune(olderThan cutoff: Timestamp, keepingLatest: Int) async throws(SyncEventStoreError) -> Int {
        var binds = PostgresBindings()
        binds.append(Int64(max(0, keepingLatest)))
        binds.append(cutoff.millisecondsSince1970)
        let sql = """
            DELETE FROM \(t.events) d USING (
                SELECT organization_id, id, status, started_at, row_number() OVER (
                    PARTITION BY organization_id, connector_target_id IS NULL, coalesce(connector_target_id, connector_instance_id)
                    ORDER BY started_at DESC, id DESC) AS position
                FROM \(t.events)) r
            WHERE d.organization_id = r.organization_id AND d.id = r.id AND r.position > $1 AND r.started_at < $2
                AND r.status IN ('completed', 'failed', 'partial', 'ignored')
            """
        return try await deleteRows(sql, binds: binds, returning: "d.id")
    }

    /// The newest `completed` event of `target` (by `startedAt`, then `id`), or `nil`.
    public func latestCompletedEvent(target: TypeID) async throws(SyncEventStoreError) -> SyncEvent? {
        let t = self.t
        let logger = self.logger
        return try await transaction(readOnly: true) { conn in
            let sql = """
                SELECT e.line FROM \(t.targets) g JOIN LATERAL (
                    SELECT line, started_at, id FROM \(t.events) e WHERE e.organization_id = g.organization_id
                    AND e.connector_target_id = g.connector_target_id AND e.status = 'completed'
                    ORDER BY started_at DESC, id DESC LIMIT 1) e ON true
                WHERE g.connector_target_id = $1 ORDER BY e.started_at DESC, e.id DESC LIMIT 1
                """
            var binds = PostgresBindings()
            binds.append(target.uuid)
            for try await line in try await conn.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(ByteBuffer.self) {
                return try EventRow.decode(line)
            }
            return nil
        }
    }

    /// Whether `target` has a `queued` or a `running` event.
    public func hasActiveEvent(target: TypeID) async throws(SyncEventStoreError) -> Bool {
        let t = self.t
        let logger = self.logger
        return try await transaction(readOnly: true) { conn in
            let sql = """
                SELECT EXISTS (SELECT 1 FROM \(t.targets) g JOIN \(t.events) e ON e.organization_id = g.organization_id
                    AND e.connector_target_id = g.connector_target_id
                    WHERE g.connector_target_id = $1 AND e.status IN ('queued', 'running'))
                """
            var binds = PostgresBindings()
            binds.append(target.uuid)
            for try await b in try await conn.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(Bool.self) {
                return b
            }
            return false
        }
    }

    /// Every event (or one organization's) in id order, in keyset batches of `batchSize`, each batch
    /// read in its own transaction (unlike the embedded store, not one snapshot: an event written during
    /// the export appears when its id is past the batches already read).
    public func exportEvents(organization: TypeID?, batchSize: Int, _ body: ([SyncEvent]) throws -> Bool)
        async throws(SyncEventStoreError)
    {
        // Read in keyset batches; each batch is its own statement, all in one snapshot.
        let size = max(1, min(batchSize, 10_000))
        var after: UUID?
        while true {
            let t = self.t
            let logger = self.logger
            let start = after
            let lines = try await transaction(readOnly: true) { conn -> [ByteBuffer] in
                var binds = PostgresBindings()
                var clauses: [String] = []
                if let organization {
                    binds.append(organization.uuid)
                    clauses.append("organization_id = $\(binds.count)")
                }
                if let start {
                    binds.append(start)
                    clauses.append("id > $\(binds.count)")
                }
                let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
                let sql = "SELECT line FROM \(t.events) \(whereClause) ORDER BY id LIMIT \(size)"
                var out: [ByteBuffer] = []
                for try await line in try await conn.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
                    .decode(ByteBuffer.self) { out.append(line) }
                return out
            }
            if lines.isEmpty { return }
            var events: [SyncEvent] = []
            for line in lines {
                do { events.append(try EventRow.decode(line)) } catch { throw Self.map(error, configuration) }
            }
            after = events.last!.id.uuid
            let more: Bool
            do { more = try body(events) } catch { throw SyncEventStoreError(error) }
            if !more || lines.count < size { return }
        }
    }
}
