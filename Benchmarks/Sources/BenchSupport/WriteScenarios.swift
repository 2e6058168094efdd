import Foundation
import SyncEventStore

/// Scratch stores for the write scenarios, under `.cache/scratch/` (emptied at each process start).
public enum Scratch {
    public static let directory: URL = {
        let url = DatasetCache.directory.appendingPathComponent("scratch")
        try? FileManager.default.removeItem(at: url)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var counter = 0

    /// A new path under the scratch directory.
    public static func path(_ name: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        counter += 1
        return directory.appendingPathComponent("\(name)-\(counter)").path
    }

    /// Durable-store configuration (every commit fsynced), as a server would run.
    public static var durable: Configuration {
        var c = Configuration()
        c.initialMapSize = 1 << 28
        return c
    }
}

/// Batch import: the events of `DatasetShape` recorded into an empty store in transactions of 10,000.
public struct ImportScenario: Sendable {
    public static let events = 100_000
    public static let batch = 10_000
    /// The events, generated once.
    public static let data: [SyncEvent] = Array(DatasetShape.generator(events: events))

    /// One import into a new empty store of `engine`; returns the seconds the import alone took.
    public static func run(_ engine: Engine) throws -> Duration {
        let clock = ContinuousClock()
        switch engine {
        case .lmdb, .memory:
            let path = Scratch.path("import-lmdb")
            let store = engine == .lmdb ? try SyncEventStore.open(at: path, configuration: Scratch.durable) : SyncEventStore.inMemory()
            defer {
                store.close()
                try? FileManager.default.removeItem(atPath: path)
            }
            return try clock.measure {
                var k = 0
                while k < data.count {
                    try store.record(contentsOf: data[k..<min(k + batch, data.count)])
                    k += batch
                }
            }
        case .sqlite, .sqliteFTS5:
            let path = Scratch.path("import.sqlite")
            let peer = try SQLitePeer(path: path, fts: engine == .sqliteFTS5, create: true, durable: true)
            defer {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
            return try clock.measure { try peer.insert(data, batch: batch) }
        }
    }
}

/// Single durable inserts: one new event per commit, fsynced, into a store that grows as the run goes.
public final class InsertScenario: @unchecked Sendable {  // used from one benchmark at a time
    let store: SyncEventStore?
    let peer: SQLitePeer?
    var generator: DatasetGenerator

    public init(_ engine: Engine) throws {
        // Another seed, so ids never collide with a dataset's.
        generator = DatasetGenerator(
            DatasetGenerator.Configuration(
                events: Int(Int32.max), organizations: DatasetShape.organizations, instances: DatasetShape.instances,
                targets: DatasetShape.targets, seed: 4242))
        switch engine {
        case .lmdb:
            store = try SyncEventStore.open(at: Scratch.path("insert-lmdb"), configuration: Scratch.durable)
            peer = nil
        case .memory:
            store = SyncEventStore.inMemory()
            peer = nil
        case .sqlite, .sqliteFTS5:
            store = nil
            peer = try SQLitePeer(path: Scratch.path("insert.sqlite"), fts: engine == .sqliteFTS5, create: true, durable: true)
        }
    }

    public func insertOne() throws {
        let e = generator.next()!
        if let store { try store.record(e) } else { try peer!.insert(CollectionOfOne(e), batch: 1) }
    }
}

/// `claimDue(limit: 10)` on a scratch copy of a dataset (claims change it), as due work piles up.
public final class ClaimScenario: @unchecked Sendable {  // used from one benchmark at a time
    public static let limit = 10
    /// A day after the dataset's window: every queued event is due.
    public static let now = Timestamp(millisecondsSince1970: DatasetGenerator.Configuration.defaultEndingAt.millisecondsSince1970 + 86_400_000)
    let store: SyncEventStore?
    let peer: SQLitePeer?

    static func copy(_ from: String, _ to: String) throws {
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }

    /// Copies the dataset's files for `engine`, and checks that the store and the peer claim the same
    /// events first.
    public init(_ engine: Engine, on d: Dataset) throws {
        let storeCopy = Scratch.path("claim-lmdb")
        let peerCopy = Scratch.path("claim.sqlite")
        try FileManager.default.createDirectory(atPath: storeCopy, withIntermediateDirectories: true)
        try Self.copy(DatasetCache.storePath(events: d.events) + "/data.mdb", storeCopy + "/data.mdb")
        try Self.copy(DatasetCache.peerPath(events: d.events), peerCopy)
        var config = Scratch.durable
        config.durability = .relaxed  // the claim's own cost, not the disk's (the peer runs synchronous=OFF too)
        let s = try SyncEventStore.open(at: storeCopy, configuration: config)
        let p = try SQLitePeer(path: peerCopy, fts: true, create: false)
        let a = try s.claimDue(now: Self.now, limit: Self.limit).map(\.id.description)
        let b = try p.claimDue(now: Self.now, limit: Self.limit)
        precondition(a == b && a.count == Self.limit, "claimDue differs: store \(a), peer \(b)")
        switch engine {
        case .lmdb, .memory:
            store = s
            peer = nil
        case .sqlite, .sqliteFTS5:
            s.close()
            store = nil
            peer = p
        }
    }

    /// One claim; returns how many events it claimed.
    public func claim() throws -> Int {
        if let store { return try store.claimDue(now: Self.now, limit: Self.limit).count }
        return try peer!.claimDue(now: Self.now, limit: Self.limit).count
    }
}
