import GRDB
import GRDBSQLite
import SyncEventStore

extension SQLitePeer {
    /// The store's `claimDue` in SQL, one write transaction: the `queued` events due at `now`, oldest first,
    /// at most one per target, skipping targets with a `running` event; each claimed one becomes `running`.
    /// - Returns: the claimed ids, oldest first.
    public func claimDue(now: Timestamp, limit: Int) throws -> [String] {
        try claimDueTimingCommit(now: now, limit: limit).ids
    }

    /// ``claimDue(now:limit:)``, also returning how long its `COMMIT` took (for figures with the commit
    /// excluded, beside the store's ``SyncEventStore/commitStatistics``).
    public func claimDueTimingCommit(now: Timestamp, limit: Int) throws -> (ids: [String], commit: Duration) {
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            let ids: [String]
            do {
                ids = try claimDueInTransaction(db, now: now, limit: limit)
            } catch {
                try? db.execute(sql: "ROLLBACK")
                throw error
            }
            let clock = ContinuousClock()
            let commit = try clock.measure { try db.execute(sql: "COMMIT") }
            return (ids, commit)
        }
    }

    private func claimDueInTransaction(_ db: Database, now: Timestamp, limit: Int) throws -> [String] {
        let candidates = try db.cachedStatement(
            sql: """
                SELECT id, connectorTargetId FROM event
                WHERE status = 'queued' AND (nextAttemptAt IS NULL OR nextAttemptAt <= ?)
                  AND (connectorTargetId IS NULL OR NOT EXISTS (
                    SELECT 1 FROM event AS r WHERE r.connectorTargetId = event.connectorTargetId AND r.status = 'running'))
                ORDER BY startedAt, id
                """)
        var claimed: [String] = []
        var targets: Set<String> = []
        let rows = try Row.fetchCursor(candidates, arguments: [now.millisecondsSince1970])
        while claimed.count < limit, let row = try rows.next() {
            let target: String? = row[1]
            if let target, !targets.insert(target).inserted { continue }
            claimed.append(row[0])
        }
        let update = try db.cachedStatement(sql: "UPDATE event SET status = 'running' WHERE id = ?")
        for id in claimed { try update.execute(arguments: [id]) }
        return claimed
    }

    /// Bytes on disk per table and index (the `dbstat` virtual table), FTS5 shadow tables included.
    public func sizes() throws -> [(name: String, bytes: Int)] {
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            return try Row.fetchAll(db, sql: "SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC")
                .map { ($0["name"], $0["bytes"]) }
        }
    }
}

extension SQLitePeer {
    /// Marks `ids` completed (the worker's `finish`, without the summary merge), one transaction.
    public func finish(_ ids: [String]) throws {
        try queue.write { db in
            let update = try db.cachedStatement(sql: "UPDATE event SET status = 'completed' WHERE id = ?")
            for id in ids { try update.execute(arguments: [id]) }
        }
    }
}
