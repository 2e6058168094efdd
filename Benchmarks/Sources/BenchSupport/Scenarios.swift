import Foundation
import SyncEventStore

/// The engines a list scenario runs against.
public enum Engine: String, CaseIterable, Sendable {
    /// SyncEventStore on LMDB (the cached store, relaxed durability: reads are the same).
    case lmdb
    /// SyncEventStore in memory (the same code over the in-memory storage).
    case memory
    /// The SQLite peer, `q` through `LIKE`.
    case sqlite
    /// The SQLite peer, `q` of 3 or more characters through the FTS5 trigram index.
    case sqliteFTS5 = "sqlite-fts5"
}

/// One list request of the suite, asked of every engine: page 1 (or page `page`) of 50.
public struct ListScenario: Sendable {
    /// The benchmark name's first part, e.g. `list.instance` or `q.absent`.
    public var name: String
    public var viewer: @Sendable (Dataset) -> Viewer
    public var instance: (@Sendable (Dataset) -> TypeID)? = nil
    public var target: (@Sendable (Dataset) -> TypeID)? = nil
    public var eventType: EventType? = nil
    public var status: EventStatus? = nil
    public var q: (@Sendable (Dataset) -> String)? = nil
    /// Which page: 1, or a deep page (`Dataset.deepPage`) reached by walking the cursors first.
    public var deep = false

    public var isSearch: Bool { q != nil }
    public var engines: [Engine] { isSearch ? Engine.allCases : [.lmdb, .memory, .sqlite] }
}

extension Dataset {
    /// The deep page of `list.deepPage`: page 1,000, or the middle page where the organization holds fewer.
    public var deepPage: Int { min(1000, max(2, organizationEvents / 100)) }
}

extension ListScenario {
    static func admin(_ d: Dataset) -> Viewer { d.admin }
    static func text(_ s: String) -> @Sendable (Dataset) -> String { { _ in s } }

    /// Every list scenario of the suite.
    public static let all: [ListScenario] = [
        ListScenario(name: "list.noFilter", viewer: admin),
        ListScenario(name: "list.instance", viewer: admin, instance: { $0.instance }),
        ListScenario(name: "list.status", viewer: admin, status: .failed),
        ListScenario(name: "list.instanceStatus", viewer: admin, instance: { $0.instance }, status: .failed),
        ListScenario(name: "list.targetEventType", viewer: admin, target: { $0.target }, eventType: .push),
        ListScenario(name: "list.member20", viewer: { $0.member20 }),
        ListScenario(name: "list.member200", viewer: { $0.member200 }),
        ListScenario(name: "list.deepPage", viewer: admin, deep: true),
        // q: frequent, rare, absent; 1 and 2 characters; and over a member's view.
        ListScenario(name: "q.often", viewer: admin, q: text("manual")),
        ListScenario(name: "q.frequent1", viewer: admin, q: text("a")),
        ListScenario(name: "q.frequent2", viewer: admin, q: text("e3")),
        ListScenario(name: "q.rare", viewer: admin, q: { $0.rareQ }),
        ListScenario(name: "q.rareWord", viewer: admin, q: text("josé")),
        ListScenario(name: "q.absent", viewer: admin, q: text("no-such-delivery")),
        ListScenario(name: "q.absent1", viewer: admin, q: text("q")),
        ListScenario(name: "q.absent2", viewer: admin, q: text("qx")),
        ListScenario(name: "q.member20Absent", viewer: { $0.member20 }, q: text("no-such-delivery")),
    ]

    /// The store's query items (cursor excluded).
    public func queryItems(_ d: Dataset) -> [QueryItem] {
        var items: [QueryItem] = []
        if let instance { items.append(QueryItem(name: "connectorInstanceId", value: instance(d).description)) }
        if let target { items.append(QueryItem(name: "connectorTargetId", value: target(d).description)) }
        if let eventType { items.append(QueryItem(name: "eventType", value: eventType.rawValue)) }
        if let status { items.append(QueryItem(name: "status", value: status.rawValue)) }
        if let q { items.append(QueryItem(name: "q", value: q(d))) }
        return items
    }

    /// The store's typed request (to walk cursors).
    public func listRequest(_ d: Dataset, cursor: String?) -> ListRequest {
        ListRequest(
            cursor: cursor, limit: 50, connectorInstanceId: instance?(d), connectorTargetId: target?(d), eventType: eventType,
            status: status, q: q?(d))
    }

    public func peerQuery(_ d: Dataset) -> PeerQuery {
        PeerQuery(
            viewer: viewer(d), connectorInstanceId: instance?(d), connectorTargetId: target?(d), eventType: eventType,
            status: status, q: q?(d))
    }
}

/// A prepared request for one engine: a closure that answers it (returning the body's byte count).
public struct PreparedList: @unchecked Sendable {  // the closure captures a store or a peer, both thread-safe
    public let run: () -> Int
}

extension ListScenario {
    /// Prepares the request for `engine` on `d`: walks to the deep page when asked, and checks first that
    /// the engine's page equals the LMDB store's (same ids in the same order, same item bytes).
    public func prepare(_ engine: Engine, on d: Dataset) -> PreparedList {
        let lmdb = storeRun(d.lmdb, d)
        let peer = peerRun(engine == .sqliteFTS5 ? .fts5 : .like, d)
        let body: () -> [UInt8]
        switch engine {
        case .lmdb: body = lmdb
        case .memory: body = storeRun(d.memory, d)
        case .sqlite, .sqliteFTS5: body = peer
        }
        // The store is checked against the peer, the peer against the store.
        let reference = engine == .sqlite || engine == .sqliteFTS5 ? lmdb() : peer()
        if let problem = PageComparison.difference(reference, body()) {
            fatalError("\(name) \(d.label) \(engine.rawValue): the page differs from the other side's: \(problem)")
        }
        return PreparedList { body().count }
    }

    func storeRun(_ store: SyncEventStore, _ d: Dataset) -> () -> [UInt8] {
        var items = queryItems(d)
        let viewer = viewer(d)
        if deep {
            var cursor: String?
            for _ in 1..<d.deepPage {
                cursor = try! store.list(listRequest(d, cursor: cursor), as: viewer).nextCursor
                precondition(cursor != nil, "\(name): fewer than \(d.deepPage) pages")
            }
            items.append(QueryItem(name: "cursor", value: cursor!))
        }
        let fixed = items
        return { try! store.listResponse(query: fixed, as: viewer).body }
    }

    func peerRun(_ search: SQLitePeer.Search, _ d: Dataset) -> () -> [UInt8] {
        var query = peerQuery(d)
        if deep {
            for _ in 1..<d.deepPage { query.cursor = try! d.peer.page(query, search: search).nextCursor }
        }
        let fixed = query
        let peer = d.peer
        return { try! peer.page(fixed, search: search).body }
    }
}

/// Compares two 200 bodies: the items byte for byte, and whether each has a next cursor (the cursors
/// themselves differ: the store's is signed and opaque, the peer's is `startedAt:id`).
public enum PageComparison {
    static let separator = Array(#"],"nextCursor":"#.utf8)

    static func split(_ body: [UInt8]) -> (items: ArraySlice<UInt8>, hasNext: Bool)? {
        guard body.count >= separator.count else { return nil }
        var k = body.count - separator.count
        while k >= 0 {
            if body[k..<(k + separator.count)].elementsEqual(separator) {
                return (body[..<k], body[(k + separator.count)...].first == UInt8(ascii: "\""))
            }
            k -= 1
        }
        return nil
    }

    /// `nil` when the pages are the same, else a description of the first difference.
    public static func difference(_ a: [UInt8], _ b: [UInt8]) -> String? {
        guard let x = split(a), let y = split(b) else { return "not a page body" }
        if x.hasNext != y.hasNext { return "nextCursor null in one only" }
        if x.items.elementsEqual(y.items) { return nil }
        let ids = { (s: ArraySlice<UInt8>) -> [String] in
            String(decoding: s, as: UTF8.self).components(separatedBy: #""id":""#).dropFirst().map { String($0.prefix(30)) }
        }
        let (i, j) = (ids(x.items), ids(y.items))
        if i != j { return "ids differ: \(i.count) vs \(j.count) items, first \(i.first ?? "-") vs \(j.first ?? "-")" }
        let at = zip(x.items, y.items).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? 0
        let show = { (s: ArraySlice<UInt8>) in String(decoding: s.dropFirst(max(0, at - 60)).prefix(160), as: UTF8.self) }
        return "same ids, bytes differ at \(at): \(show(x.items)) | \(show(y.items))"
    }
}
