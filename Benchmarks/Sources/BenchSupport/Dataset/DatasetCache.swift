import Foundation
import SyncEventStore

/// Where datasets are kept between runs: `Benchmarks/.cache/` (ignored by git).
///
/// A cached store is named by size, seed and a fingerprint of the sources that decide its bytes (the
/// library's for the LMDB store, the generator's and the peer's for the SQLite file), so a change of
/// the store's format or of the generator builds it anew instead of benchmarking a stale file.
public enum DatasetCache {
    /// `Benchmarks/`, found from this file's place in the package.
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let directory = packageRoot.appendingPathComponent(".cache")
    static let librarySources = packageRoot.deletingLastPathComponent().appendingPathComponent("Sources/SyncEventStore")
    static let supportSources = packageRoot.appendingPathComponent("Sources/BenchSupport")

    /// A short hex fingerprint (FNV-1a 64) of the `.swift` files at or under `directories`, names included.
    static func fingerprint(_ directories: [URL]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: some Sequence<UInt8>) {
            for b in bytes {
                hash ^= UInt64(b)
                hash &*= 0x100_0000_01b3
            }
        }
        for directory in directories {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory)
            let files = isDirectory.boolValue
                ? (FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? [])
                    .filter { $0.hasSuffix(".swift") }.sorted().map { directory.appendingPathComponent($0) }
                : [directory]
            for file in files {
                mix(file.lastPathComponent.utf8)
                if let data = FileManager.default.contents(atPath: file.path) { mix(data) }
            }
        }
        return String(hash, radix: 16)
    }

    static let generatorSources = supportSources.appendingPathComponent("Generator")
    static let peerSources = supportSources.appendingPathComponent("Peer/SQLitePeer.swift")
    /// The fingerprint of a cached LMDB store: the library and the generator.
    public static let storeFingerprint = fingerprint([librarySources, generatorSources])
    /// The fingerprint of a cached SQLite file: the generator and the peer.
    public static let peerFingerprint = fingerprint([generatorSources, peerSources])

    public static func storePath(events: Int) -> String {
        directory.appendingPathComponent("store-\(DatasetShape.label(events))-seed\(DatasetShape.seed)-\(storeFingerprint)").path
    }
    public static func peerPath(events: Int) -> String {
        directory.appendingPathComponent("sqlite-\(DatasetShape.label(events))-seed\(DatasetShape.seed)-\(peerFingerprint).sqlite").path
    }

    /// Removes cached datasets of `events` events with another fingerprint (stale formats).
    static func removeStale(events: Int) {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
        let keep = [storePath(events: events), peerPath(events: events)].map { URL(fileURLWithPath: $0).lastPathComponent }
        for name in names where (name.hasPrefix("store-\(DatasetShape.label(events))-") || name.hasPrefix("sqlite-\(DatasetShape.label(events))-"))
            && !keep.contains(where: { name.hasPrefix($0) })
        {
            try? fm.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    static func log(_ message: String) {
        FileHandle.standardError.write(Data("[dataset] \(message)\n".utf8))
    }

    /// Seconds since `start`.
    static func elapsed(since start: ContinuousClock.Instant) -> String {
        let d = ContinuousClock.now - start
        return String(format: "%.1f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }

    /// Opens the cached LMDB store of `events` events, building it first when missing.
    static func lmdbStore(events: Int) throws -> SyncEventStore {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        removeStale(events: events)
        let path = storePath(events: events)
        var configuration = Configuration()
        configuration.durability = .relaxed
        configuration.initialMapSize = 1 << 30
        if !fm.fileExists(atPath: path + "/complete") {
            try? fm.removeItem(atPath: path)
            log("building the LMDB store of \(DatasetShape.label(events)) events at \(path)…")
            let start = ContinuousClock.now
            let store = try SyncEventStore.open(at: path, configuration: configuration)
            try importAll(DatasetShape.generator(events: events), into: store)
            store.close()
            fm.createFile(atPath: path + "/complete", contents: Data())
            log("  built in \(elapsed(since: start))")
        }
        let store = try SyncEventStore.open(at: path, configuration: configuration)
        let count = try store.count
        precondition(count == events, "the cached store at \(path) holds \(count) events, not \(events)")
        return store
    }

    /// Records every event of `generator` with `importEvents` (one transaction), fed in slices of `batch`.
    public static func importAll(_ generator: DatasetGenerator, into store: SyncEventStore, batch: Int = 10_000) throws {
        var generator = generator
        var pending: [SyncEvent] = []
        pending.reserveCapacity(batch)
        _ = try store.importEvents { importer in
            while let e = generator.next() {
                pending.append(e)
                if pending.count == batch {
                    let refused = try importer.add(pending)
                    precondition(refused.isEmpty)
                    pending.removeAll(keepingCapacity: true)
                }
            }
            if !pending.isEmpty {
                let refused = try importer.add(pending)
                precondition(refused.isEmpty)
            }
        }
    }

    /// Opens the cached SQLite peer of `events` events (with its FTS5 index), building it first when missing.
    static func peer(events: Int) throws -> SQLitePeer {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = peerPath(events: events)
        let marker = path + ".complete"
        if !fm.fileExists(atPath: marker) {
            for suffix in ["", "-wal", "-shm"] { try? fm.removeItem(atPath: path + suffix) }
            log("building the SQLite peer of \(DatasetShape.label(events)) events at \(path)…")
            let start = ContinuousClock.now
            let peer = try SQLitePeer(path: path, fts: true, create: true)
            try peer.insert(DatasetShape.generator(events: events), batch: 10_000)
            try peer.analyze()
            fm.createFile(atPath: marker, contents: Data())
            log("  built in \(elapsed(since: start))")
            return peer
        }
        let peer = try SQLitePeer(path: path, fts: true, create: false)
        let count = try peer.count()
        precondition(count == events, "the cached SQLite file at \(path) holds the wrong number of rows")
        return peer
    }
}
