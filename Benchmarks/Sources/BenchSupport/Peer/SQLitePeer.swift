import Foundation
import GRDB
import GRDBSQLite
import SyncEventStore

/// The peer: SQLite (the system's, through GRDB) with the indexes an expert would create for this endpoint.
///
/// One table with the record's columns, plus `searchText`, the lowercase (JavaScript rules, computed in
/// Swift at write time, as the store does) of `externalEventRef + "\n" + sourceRevisionRef`. Indexes:
/// `(organizationId, startedAt DESC, id DESC)` and `(organizationId, X, startedAt DESC, id DESC)` for X in
/// instance, target, event type and status; two partial indexes for the work queue (`claimDue`). With
/// `fts`, an external-content FTS5 table with the trigram tokenizer over `searchText`.
///
/// Pages are keyset pages in SQL (`(startedAt, id) < (?, ?)`), `LIMIT limit + 1`; the 200 body is written
/// straight from the column bytes with the library's own JSON string writer, keys in the same order, so
/// the items match the store's byte for byte. The peer's cursor is a plain `startedAt:id`.
public final class SQLitePeer: @unchecked Sendable {  // a GRDB DatabaseQueue serializes every access
    public let path: String
    public let fts: Bool
    let queue: DatabaseQueue

    /// How `q` is answered.
    public enum Search: String, Sendable {
        /// `searchText LIKE '%q%' ESCAPE '\'`: a scan of the candidate rows.
        case like
        /// The FTS5 trigram index for `q` of 3 characters or more; `LIKE` below that (trigrams can't help).
        case fts5
    }

    static let columns =
        "attemptCount, completedAt, connectorInstanceId, connectorTargetId, connectorType, eventType, externalEventRef, id, nextAttemptAt, remoteId, sourceRevisionRef, startedAt, status, summaryJson"

    /// Opens (creating when `create`) the database at `path`.
    public init(path: String, fts: Bool, create: Bool, durable: Bool = false) throws {
        self.path = path
        self.fts = fts
        var config = GRDB.Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA case_sensitive_like = ON")
            try db.execute(sql: "PRAGMA synchronous = \(durable ? "FULL" : "OFF")")
            try db.execute(sql: "PRAGMA cache_size = -262144")  // 256 MiB: the working set stays in memory
            try db.execute(sql: "PRAGMA mmap_size = 4294967296")
        }
        queue = try DatabaseQueue(path: path, configuration: config)
        if create { try createSchema() }
    }

    func createSchema() throws {
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(
                sql: """
                    CREATE TABLE event (
                      id TEXT NOT NULL PRIMARY KEY,
                      organizationId TEXT NOT NULL,
                      connectorInstanceId TEXT NOT NULL,
                      connectorTargetId TEXT,
                      connectorType TEXT NOT NULL,
                      remoteId TEXT,
                      eventType TEXT NOT NULL,
                      externalEventRef TEXT,
                      sourceRevisionRef TEXT,
                      status TEXT NOT NULL,
                      summaryJson TEXT,
                      startedAt INTEGER NOT NULL,
                      completedAt INTEGER,
                      attemptCount INTEGER NOT NULL,
                      nextAttemptAt INTEGER,
                      searchText TEXT NOT NULL
                    );
                    CREATE INDEX event_org ON event(organizationId, startedAt DESC, id DESC);
                    CREATE INDEX event_instance ON event(organizationId, connectorInstanceId, startedAt DESC, id DESC);
                    CREATE INDEX event_target ON event(organizationId, connectorTargetId, startedAt DESC, id DESC);
                    CREATE INDEX event_type ON event(organizationId, eventType, startedAt DESC, id DESC);
                    CREATE INDEX event_status ON event(organizationId, status, startedAt DESC, id DESC);
                    CREATE INDEX event_queue ON event(startedAt, id) WHERE status = 'queued';
                    CREATE INDEX event_running ON event(connectorTargetId) WHERE status = 'running';
                    """)
            if fts {
                try db.execute(
                    sql: """
                        CREATE VIRTUAL TABLE event_fts USING fts5(
                          searchText, content = 'event', content_rowid = 'rowid', tokenize = 'trigram case_sensitive 1');
                        CREATE TRIGGER event_fts_insert AFTER INSERT ON event BEGIN
                          INSERT INTO event_fts(rowid, searchText) VALUES (new.rowid, new.searchText);
                        END;
                        CREATE TRIGGER event_fts_delete AFTER DELETE ON event BEGIN
                          INSERT INTO event_fts(event_fts, rowid, searchText) VALUES ('delete', old.rowid, old.searchText);
                        END;
                        CREATE TRIGGER event_fts_update AFTER UPDATE OF searchText ON event BEGIN
                          INSERT INTO event_fts(event_fts, rowid, searchText) VALUES ('delete', old.rowid, old.searchText);
                          INSERT INTO event_fts(rowid, searchText) VALUES (new.rowid, new.searchText);
                        END;
                        """)
            }
        }
    }

    // MARK: - Writes

    /// Inserts events in transactions of `batch` (each committed; fsynced when the peer is durable).
    public func insert(_ events: some Sequence<SyncEvent>, batch: Int = 10_000) throws {
        var pending: [SyncEvent] = []
        pending.reserveCapacity(batch)
        func flush() throws {
            guard !pending.isEmpty else { return }
            try queue.write { db in
                let statement = try db.cachedStatement(
                    sql: "INSERT INTO event (\(SQLitePeer.columns), organizationId, searchText) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
                for e in pending { try statement.execute(arguments: SQLitePeer.arguments(e)) }
            }
            pending.removeAll(keepingCapacity: true)
        }
        for e in events {
            pending.append(e)
            if pending.count == batch { try flush() }
        }
        try flush()
    }

    static func arguments(_ e: SyncEvent) -> StatementArguments {
        let search = JavaScriptCase.lowercase((e.externalEventRef ?? "") + "\n" + (e.sourceRevisionRef ?? ""))
        return [
            e.attemptCount, e.completedAt?.millisecondsSince1970, e.connectorInstanceId.description,
            e.connectorTargetId?.description, e.connectorType.rawValue, e.eventType.rawValue, e.externalEventRef,
            e.id.description, e.nextAttemptAt?.millisecondsSince1970, e.remoteId, e.sourceRevisionRef,
            e.startedAt.millisecondsSince1970, e.status.rawValue, summaryText(e), e.organizationId.description, search,
        ]
    }

    /// The summary exactly as the store writes it: the bytes of `jsonBytes` after `"summaryJson":`.
    static func summaryText(_ e: SyncEvent) -> String? {
        guard e.summaryJson != nil else { return nil }
        var bare = e
        bare.summaryJson = nil
        let whole = e.jsonBytes
        let start = bare.jsonBytes.count - 5  // `null}`
        return String(decoding: whole[start..<(whole.count - 1)], as: UTF8.self)
    }

    /// Builds the secondary indexes of a table loaded without them (faster than inserting into them).
    public func analyze() throws {
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "ANALYZE")
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    /// The number of rows.
    public func count() throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM event") ?? 0 }
    }
}
