import Foundation
import GRDB
import GRDBSQLite
import SyncEventStore

/// One list request as the peer takes it: the same filters and visibility as the store's.
public struct PeerQuery: Sendable {
    public var viewer: Viewer
    public var connectorInstanceId: TypeID?
    public var connectorTargetId: TypeID?
    public var eventType: EventType?
    public var status: EventStatus?
    public var q: String?
    public var limit = 50
    /// The peer's cursor: `startedAt:id` of the last item of the previous page.
    public var cursor: String?

    public init(
        viewer: Viewer, connectorInstanceId: TypeID? = nil, connectorTargetId: TypeID? = nil,
        eventType: EventType? = nil, status: EventStatus? = nil, q: String? = nil
    ) {
        self.viewer = viewer
        self.connectorInstanceId = connectorInstanceId
        self.connectorTargetId = connectorTargetId
        self.eventType = eventType
        self.status = status
        self.q = q
    }
}

/// A page as the peer answers it.
public struct PeerPage: Sendable {
    /// The 200 body: `{"items":[…],"nextCursor":…}`.
    public var body: [UInt8]
    public var count: Int
    public var nextCursor: String?
}

extension SQLitePeer {
    /// The statement text and its arguments for a query.
    func sql(_ query: PeerQuery, search: Search) -> (String, StatementArguments) {
        var sql = "SELECT \(SQLitePeer.columns) FROM event WHERE organizationId = ?"
        var args: StatementArguments = [query.viewer.organization.description]
        if case .member(_, let visible) = query.viewer {
            sql += " AND connectorInstanceId IN (" + Array(repeating: "?", count: visible.count).joined(separator: ",") + ")"
            for i in visible.sorted() { _ = args.append(contentsOf: [i.description]) }
        }
        if let i = query.connectorInstanceId {
            sql += " AND connectorInstanceId = ?"
            _ = args.append(contentsOf: [i.description])
        }
        if let t = query.connectorTargetId {
            sql += " AND connectorTargetId = ?"
            _ = args.append(contentsOf: [t.description])
        }
        if let e = query.eventType {
            sql += " AND eventType = ?"
            _ = args.append(contentsOf: [e.rawValue])
        }
        if let s = query.status {
            sql += " AND status = ?"
            _ = args.append(contentsOf: [s.rawValue])
        }
        if let q = query.q {
            let needle = JavaScriptCase.lowercase(q)
            if search == .fts5, fts, needle.count >= 3 {
                sql += " AND rowid IN (SELECT rowid FROM event_fts WHERE event_fts MATCH ?)"
                _ = args.append(contentsOf: ["\"" + needle.replacingOccurrences(of: "\"", with: "\"\"") + "\""])
            } else {
                sql += " AND searchText LIKE ? ESCAPE '\\'"
                var escaped = ""
                for c in needle {
                    if c == "%" || c == "_" || c == "\\" { escaped.append("\\") }
                    escaped.append(c)
                }
                _ = args.append(contentsOf: ["%" + escaped + "%"])
            }
        }
        if let cursor = query.cursor, let colon = cursor.firstIndex(of: ":") {
            sql += " AND (startedAt, id) < (?, ?)"
            _ = args.append(contentsOf: [Int64(cursor[..<colon])!, String(cursor[cursor.index(after: colon)...])])
        }
        sql += " ORDER BY startedAt DESC, id DESC LIMIT ?"
        _ = args.append(contentsOf: [query.limit + 1])
        return (sql, args)
    }

    /// One page, with its 200 body written from the column bytes.
    public func page(_ query: PeerQuery, search: Search = .like) throws -> PeerPage {
        let (text, arguments) = sql(query, search: search)
        return try queue.inDatabase { db in
            let statement = try db.cachedStatement(sql: text)
            statement.arguments = arguments
            let s = statement.sqliteStatement
            sqlite3_reset(s)
            var body: [UInt8] = Array(#"{"items":["#.utf8)
            body.reserveCapacity(query.limit * 640 + 128)
            var count = 0
            var next: String?
            var lastStart: Int64 = 0
            var lastID = ""
            while true {
                let rc = sqlite3_step(s)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: rc)) }
                if count == query.limit {
                    next = "\(lastStart):\(lastID)"
                    break
                }
                if count > 0 { body.append(UInt8(ascii: ",")) }
                SQLitePeer.writeRow(s, to: &body)
                lastStart = sqlite3_column_int64(s, 11)
                lastID = String(cString: sqlite3_column_text(s, 7))
                count += 1
            }
            sqlite3_reset(s)
            body.append(contentsOf: #"],"nextCursor":"#.utf8)
            if let next { JSONWriter.writeString(next, to: &body) } else { body.append(contentsOf: "null".utf8) }
            body.append(UInt8(ascii: "}"))
            return PeerPage(body: body, count: count, nextCursor: next)
        }
    }

    /// The event's JSON from one row of `columns`, in the store's key order.
    static func writeRow(_ s: OpaquePointer, to out: inout [UInt8]) {
        func key(_ k: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        }
        func text(_ i: Int32) {
            guard sqlite3_column_type(s, i) != SQLITE_NULL, let p = sqlite3_column_text(s, i) else {
                return out.append(contentsOf: "null".utf8)
            }
            JSONWriter.writeString(utf8: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i))), to: &out)
        }
        func raw(_ i: Int32) {
            guard sqlite3_column_type(s, i) != SQLITE_NULL, let p = sqlite3_column_text(s, i) else {
                return out.append(contentsOf: "null".utf8)
            }
            out.append(contentsOf: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i))))
        }
        func time(_ i: Int32) {
            guard sqlite3_column_type(s, i) != SQLITE_NULL else { return out.append(contentsOf: "null".utf8) }
            out.append(UInt8(ascii: "\""))
            Timestamp(millisecondsSince1970: sqlite3_column_int64(s, i)).append(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        key(#"{"attemptCount":"#)
        JSONWriter.writeInteger(sqlite3_column_int64(s, 0), to: &out)
        key(#","completedAt":"#)
        time(1)
        key(#","connectorInstanceId":"#)
        text(2)
        key(#","connectorTargetId":"#)
        text(3)
        key(#","connectorType":"#)
        text(4)
        key(#","eventType":"#)
        text(5)
        key(#","externalEventRef":"#)
        text(6)
        key(#","id":"#)
        text(7)
        key(#","nextAttemptAt":"#)
        time(8)
        key(#","remoteId":"#)
        text(9)
        key(#","sourceRevisionRef":"#)
        text(10)
        key(#","startedAt":"#)
        time(11)
        key(#","status":"#)
        text(12)
        key(#","summaryJson":"#)
        raw(13)
        out.append(UInt8(ascii: "}"))
    }
}
