import Foundation
import PostgresNIO
import SyncEventStore

extension PostgresSyncEventStore {
    /// Checks the store's consistency (what `syncevents verify` runs): the id and target maps match the
    /// events both ways, and every row's line decodes and agrees with the columns derived from it.
    /// - Returns: human-readable problems, at most `maximumProblems`; empty when consistent.
    public func verifyIndexes(maximumProblems: Int = 100) async throws(SyncEventStoreError) -> [String] {
        let t = self.t
        let logger = self.logger
        let limit = max(1, maximumProblems)
        var problems = try await transaction(readOnly: true) { conn -> [String] in
            var out: [String] = []
            let checks: [(String, String)] = [
                ("event without an id-map row", "SELECT e.id FROM \(t.events) e LEFT JOIN \(t.ids) i ON i.id = e.id AND i.organization_id = e.organization_id WHERE i.id IS NULL"),
                ("id-map row without its event", "SELECT i.id FROM \(t.ids) i LEFT JOIN \(t.events) e ON i.id = e.id AND i.organization_id = e.organization_id WHERE e.id IS NULL"),
                ("event whose target is missing from the target map", "SELECT e.id FROM \(t.events) e LEFT JOIN \(t.targets) g ON g.connector_target_id = e.connector_target_id AND g.organization_id = e.organization_id WHERE e.connector_target_id IS NOT NULL AND g.connector_target_id IS NULL"),
            ]
            for (what, sql) in checks {
                for try await id in try await conn.query(PostgresQuery(unsafeSQL: sql + " LIMIT \(limit)"), logger: logger).decode(UUID.self) {
                    out.append("\(what): \(TypeID(prefix: .event, uuid: id))")
                }
            }
            return out
        }
        var after: UUID?
        while problems.count < limit {
            let start = after
            let batch = try await transaction(readOnly: true) { conn -> [(UUID, ByteBuffer, ByteBuffer, String, String, Int64, String)] in
                var binds = PostgresBindings()
                var clause = ""
                if let start {
                    binds.append(start)
                    clause = "WHERE id > $1"
                }
                let sql = "SELECT id, line, item, status, event_type, started_at, search_lower FROM \(t.events) \(clause) ORDER BY id LIMIT 2000"
                var rows: [(UUID, ByteBuffer, ByteBuffer, String, String, Int64, String)] = []
                for try await row in try await conn.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
                    .decode((UUID, ByteBuffer, ByteBuffer, String, String, Int64, String).self) { rows.append(row) }
                return rows
            }
            guard let last = batch.last else { break }
            after = last.0
            for (uuid, line, item, status, type, startedAt, search) in batch {
                let id = TypeID(prefix: .event, uuid: uuid)
                guard let event = try? EventRow.decode(line) else {
                    problems.append("event \(id) does not decode")
                    continue
                }
                let sameItem = Array(item.readableBytesView) == event.jsonBytes
                let sameColumns = status == event.status.rawValue && type == event.eventType.rawValue
                let sameOrder = startedAt == event.startedAt.millisecondsSince1970 && event.id == id
                let sameSearch = search == EventRow.searchText(event)
                if !(sameItem && sameColumns && sameOrder && sameSearch) {
                    problems.append("event \(id): the columns disagree with the stored event")
                }
            }
        }
        return Array(problems.prefix(limit))
    }
}

extension PostgresSyncEventStore {
    /// Drops the store's schema with everything in it (tests use one schema each). The store is unusable
    /// afterwards.
    package func dropSchema() async throws(SyncEventStoreError) {
        let sql = "DROP SCHEMA IF EXISTS \"\(configuration.schema)\" CASCADE"
        let logger = self.logger
        try await transaction { conn in _ = try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
    }
}

extension PostgresSyncEventStore {
    /// Overwrites the stored schema version (tests of the refusal of newer schemas).
    package func setSchemaVersion(_ version: Int) async throws(SyncEventStoreError) {
        let sql = "UPDATE \(t.meta) SET number = \(version) WHERE key = 'schema_version'"
        let logger = self.logger
        try await transaction { conn in _ = try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
    }
}
