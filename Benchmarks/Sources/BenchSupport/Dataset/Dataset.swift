import Foundation
import SyncEventStore

/// One dataset, loaded once per process: the cached LMDB store, the cached SQLite peer, an in-memory
/// store built on first use, and the filter values the scenarios ask for.
public final class Dataset: @unchecked Sendable {  // immutable after load, but for `memory`, built under `lock`
    public let events: Int
    public let label: String
    public let lmdb: SyncEventStore
    public let peer: SQLitePeer
    /// The organization every scenario reads (the first of two; about half of the events).
    public let organization: TypeID
    /// A fairly busy connector instance of it.
    public let instance: TypeID
    /// A target of that instance that has `push` events.
    public let target: TypeID
    /// A member who sees 20 of the organization's 300 instances (every 15th), and one who sees 200.
    public let member20: Viewer
    public let member200: Viewer
    /// A `q` that matches about one event: the first 12 characters of a commit SHA of `instance`.
    public let rareQ: String
    /// How many events `organization` holds.
    public let organizationEvents: Int

    private let lock = NSLock()
    private var memoryStore: SyncEventStore?

    /// The in-memory store with the same events (built on first use, not cached on disk).
    public var memory: SyncEventStore {
        lock.lock()
        defer { lock.unlock() }
        if let memoryStore { return memoryStore }
        DatasetCache.log("building the in-memory store of \(label) events…")
        let start = ContinuousClock.now
        let store = SyncEventStore.inMemory()
        try! DatasetCache.importAll(DatasetShape.generator(events: events), into: store)
        DatasetCache.log("  built in \(DatasetCache.elapsed(since: start))")
        memoryStore = store
        return store
    }

    public var admin: Viewer { .admin(organization: organization) }

    private init(events: Int) throws {
        self.events = events
        label = DatasetShape.label(events)
        lmdb = try DatasetCache.lmdbStore(events: events)
        peer = try DatasetCache.peer(events: events)
        let shape = DatasetShape.generator(events: 0)
        organization = shape.organizations[0]
        let own = shape.instances.filter { $0.organization == 0 }.map(\.id)
        instance = own[10]
        member20 = .member(organization: organization, visibleInstances: Set(stride(from: 0, to: own.count, by: 15).map { own[$0] }))
        member200 = .member(organization: organization, visibleInstances: Set(own.prefix(200)))
        let admin = Viewer.admin(organization: organization)
        let pushes = try lmdb.list(ListRequest(limit: 100, connectorInstanceId: instance, eventType: .push), as: admin).events
        guard let push = pushes.first(where: { $0.sourceRevisionRef != nil }) else {
            fatalError("no push event in instance \(instance) at \(events) events")
        }
        target = push.connectorTargetId!
        rareQ = String(push.sourceRevisionRef!.prefix(12))
        let org = organization.description
        organizationEvents = try peer.queue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM event WHERE organizationId = ?", arguments: [org]) ?? 0
        }
        if !sizesAreCurrent { try writeSizes() }
    }

    private static let registry = NSLock()
    nonisolated(unsafe) private static var loaded: [Int: Dataset] = [:]

    /// The dataset of `events` events (building its caches when missing).
    public static func load(_ events: Int) -> Dataset {
        registry.lock()
        defer { registry.unlock() }
        if let d = loaded[events] { return d }
        do {
            let d = try Dataset(events: events)
            loaded[events] = d
            return d
        } catch {
            fatalError("loading the dataset of \(events) events failed: \(error)")
        }
    }
}
