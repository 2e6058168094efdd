import Foundation
import PostgresNIO
import SyncEventStore

extension PostgresSyncEventStore {
    /// Counts the events by organization, status and event type, and measures the tables and indexes
    /// (PostgreSQL's relation sizes, including their pages' overhead). What `syncevents stats` prints.
    public func statistics() async throws(SyncEventStoreError) -> StoreStatistics {
        let t = self.t
        let logger = self.logger
        let schema = configuration.schema
        return try await transaction(readOnly: true, repeatable: true) { conn in
            var organizations: [TypeID: StoreStatistics.Organization] = [:]
            var byStatus: [EventStatus: Int] = [:]
            var byType: [EventType: Int] = [:]
            var total = 0
            let counts = try await conn.query(
                "SELECT organization_id, status, event_type, count(*) FROM \(unescaped: t.events) GROUP BY 1, 2, 3",
                logger: logger)
            for try await (org, statusText, typeText, n) in counts.decode((UUID, String, String, Int64).self) {
                let id = TypeID(prefix: .organization, uuid: org)
                let count = Int(n)
                var o = organizations[id] ?? StoreStatistics.Organization(id: id, events: 0, byStatus: [:], byEventType: [:])
                o.events += count
                total += count
                if let s = EventStatus(rawValue: statusText) {
                    o.byStatus[s, default: 0] += count
                    byStatus[s, default: 0] += count
                }
                if let e = EventType(rawValue: typeText) {
                    o.byEventType[e, default: 0] += count
                    byType[e, default: 0] += count
                }
                organizations[id] = o
            }
            var tables: [StoreStatistics.TableUsage] = []
            var indexes: [StoreStatistics.IndexUsage] = []
            var size = 0
            let relations = try await conn.query(
                """
                SELECT c.relname, c.relkind::text, greatest(c.reltuples, 0)::bigint, pg_relation_size(c.oid)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = \(schema) AND c.relkind IN ('r', 'i') ORDER BY c.relkind DESC, c.relname
                """, logger: logger)
            for try await (name, kind, entries, bytes) in relations.decode((String, String, Int64, Int64).self) {
                size += Int(bytes)
                if kind == "r" {
                    tables.append(StoreStatistics.TableUsage(name: name, entries: Int(entries), bytes: Int(bytes)))
                } else {
                    indexes.append(StoreStatistics.IndexUsage(name: name, entries: Int(entries), bytes: Int(bytes)))
                }
            }
            return StoreStatistics(
                events: total, byStatus: byStatus, byEventType: byType,
                organizations: organizations.values.sorted { $0.id < $1.id }, sizeInBytes: size, tables: tables,
                indexes: indexes)
        }
    }
}
