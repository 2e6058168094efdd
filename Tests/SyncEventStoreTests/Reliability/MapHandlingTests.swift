import CLMDB
import Foundation
import Testing
@testable import SyncEventStore

/// Issue 10, map handling: no write waits on a reader, another process's growth is adopted, and
/// `MDB_PANIC` reopens the store.
@Suite("Map handling")
struct MapHandlingTests {
    /// Runs `body` on its own thread; fails (instead of hanging the run) when it takes over `seconds`.
    func finishes(within seconds: Double, _ what: String, _ body: @escaping @Sendable () throws -> Void) {
        let done = DispatchSemaphore(value: 0)
        let failure = ErrorBox()
        Thread.detachNewThread {
            do { try body() } catch { failure.set(error) }
            done.signal()
        }
        if done.wait(timeout: .now() + seconds) == .timedOut {
            Issue.record("\(what) did not finish within \(seconds) s (deadlock)")
        } else if let e = failure.value {
            Issue.record("\(what) failed: \(e)")
        }
    }

    static func events(_ n: Int, seed: UInt64, bigSummary: Bool = true) -> [SyncEvent] {
        var f = Fixtures(seed: seed)
        let org = f.id(.organization)
        let instance = f.id(.connectorInstance)
        return (0..<n).map { i in
            var e = f.event(org: org, instance: instance, startedAt: 1_700_000_000_000 + Int64(i))
            if bigSummary { e.summaryJson = ["note": .string(String(repeating: "x", count: 2000))] }
            return e
        }
    }

    /// The review's deadlock: a write inside `forEachEvent { … }` that needed the map to grow waited for
    /// the read lock its own thread held.
    @Test func writeInsideForEachEventDoesNotDeadlock() throws {
        let dir = TemporaryDirectory()
        var configuration = Configuration()
        configuration.initialMapSize = 1 << 20
        configuration.durability = .relaxed
        let store = try SyncEventStore.open(at: dir.sub("store"), configuration: configuration)
        defer { store.close() }
        try store.record(contentsOf: Self.events(10, seed: 1))
        let more = Self.events(3000, seed: 2)  // about 6 MiB: far past a 1 MiB map
        finishes(within: 120, "a write inside forEachEvent") {
            var written = false
            try store.forEachEvent { _ in
                if !written {
                    written = true
                    try? store.record(contentsOf: more)
                }
                return true
            }
        }
        #expect(try store.count == 3010)
    }

    /// `close()` inside the store's own read closure cannot wait for that read: it used to deadlock. Now
    /// the walk finishes, the environment closes as it ends, later calls fail with `closed`, and the path
    /// can be opened again.
    @Test func closeInsideForEachEventClosesWhenTheWalkEnds() throws {
        let dir = TemporaryDirectory()
        let store = try SyncEventStore.open(at: dir.sub("store"))
        try store.record(contentsOf: Self.events(20, seed: 3, bigSummary: false))
        let seen = Counter()
        finishes(within: 60, "close() inside forEachEvent") {
            try store.forEachEvent { _ in
                seen.increment()
                if seen.value == 3 { store.close() }
                return true
            }
        }
        #expect(seen.value == 20)
        #expect(throws: SyncEventStoreError.closed) { _ = try store.count }
        #expect(throws: SyncEventStoreError.closed) { try store.record(Self.events(1, seed: 4)[0]) }
        let again = try SyncEventStore.open(at: dir.sub("store"))
        defer { again.close() }
        #expect(try again.count == 20)
    }

    /// A `close()` from another thread waits for the reads in flight, which finish whole; then every call
    /// fails with `closed`.
    @Test func closeFromAnotherThreadWaitsForTheReadInFlight() throws {
        let dir = TemporaryDirectory()
        let store = try SyncEventStore.open(at: dir.sub("store"))
        try store.record(contentsOf: Self.events(20, seed: 5, bigSummary: false))
        let seen = Counter()
        let closed = Flag()
        finishes(within: 60, "close() from another thread during forEachEvent") {
            try store.forEachEvent { _ in
                seen.increment()
                if seen.value == 3 {
                    Thread.detachNewThread {
                        store.close()
                        closed.set()
                    }
                    usleep(100_000)
                    #expect(!closed.value, "close() returned while a read was still open")
                }
                return true
            }
        }
        #expect(seen.value == 20)
        for _ in 0..<600 where !closed.value { usleep(100_000) }
        #expect(closed.value)
        #expect(throws: SyncEventStoreError.closed) { _ = try store.count }
    }

    /// A long read (backup, statistics, verify) must not block writes that fill the map meanwhile.
    @Test func longReadDoesNotBlockWritesThatFillTheMap() throws {
        let dir = TemporaryDirectory()
        var configuration = Configuration()
        configuration.initialMapSize = 1 << 20
        configuration.durability = .relaxed
        let store = try SyncEventStore.open(at: dir.sub("store"), configuration: configuration)
        defer { store.close() }
        try store.record(contentsOf: Self.events(10, seed: 3))
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? store.forEachEvent { _ in
                inside.signal()
                release.wait()
                return false
            }
        }
        inside.wait()
        let batches = (0..<6).map { Self.events(500, seed: 10 + UInt64($0)) }
        finishes(within: 120, "writes while a read is open") {
            for b in batches { try store.record(contentsOf: b) }
        }
        release.signal()
        #expect(try store.count == 3010)
    }

    /// Another process fills the store far past this process's map: every read and the backup adopt the
    /// new size instead of failing with `MDB_MAP_RESIZED`.
    @Test func readersAdoptAnotherProcesssGrowth() throws {
        let dir = TemporaryDirectory()
        let cli = CLIRunner(dir: dir)
        let path = dir.sub("store")
        var small = Configuration()
        small.maximumMapSize = 1 << 20
        let store = try SyncEventStore.open(at: path, configuration: small)
        defer { store.close() }
        #expect(try store.count == 0)
        // The child process (default 1 TiB map) writes about 10 MiB.
        try cli.ok(["import", "--store", path, try cli.generate(8000)])
        #expect(try store.count == 8000)
        #expect(try store.statistics().events == 8000)
        #expect(try store.verifyIndexes() == [])
        try store.backup(to: dir.sub("backup"))
        let copy = try SyncEventStore.open(at: dir.sub("backup"))
        #expect(try copy.count == 8000)
        copy.close()
        try store.record(contentsOf: Self.events(10, seed: 4))
        #expect(try store.count == 8010)
    }

    /// `MDB_PANIC` (LMDB's state after a failed meta-page write or flush) closes and reopens the
    /// environment; the next call works and earlier commits are there.
    @Test func panicReopensTheEnvironment() throws {
        let dir = TemporaryDirectory()
        let store = try SyncEventStore.open(at: dir.sub("store"))
        defer { store.close() }
        try store.record(contentsOf: Self.events(5, seed: 5))
        guard case .lmdb(let engine) = store.backend else { return }
        engine.storage.injectedBeginFailure.withLock { $0 = MDB_PANIC }
        #expect(try store.count == 5)
        #expect(engine.storage.reopenReason?.contains("MDB_PANIC") == true)
        try store.record(contentsOf: Self.events(5, seed: 6))
        #expect(try store.count == 10)
        // The message of MDB_PANIC says what happened and is not "corrupted".
        let error = SyncEventStoreError(storageError(MDB_PANIC, "mdb_txn_commit"))
        guard case .io(_, let message) = error else {
            Issue.record("MDB_PANIC maps to \(error)")
            return
        }
        #expect(message.contains("reopened"))
    }

    /// The whole map is reserved up front, and a full map is `storageFull` with the limit.
    @Test func fullMapIsStorageFull() throws {
        let dir = TemporaryDirectory()
        var configuration = Configuration()
        configuration.maximumMapSize = 1 << 20
        let store = try SyncEventStore.open(at: dir.sub("store"), configuration: configuration)
        defer { store.close() }
        #expect(throws: SyncEventStoreError.storageFull(limitBytes: 1 << 20)) {
            try store.record(contentsOf: Self.events(1000, seed: 7))
        }
        #expect(try store.count == 0)
        try store.record(contentsOf: Self.events(10, seed: 8))
        #expect(try store.count == 10)
    }
}

/// An error handed from a thread to the test.
final class ErrorBox: @unchecked Sendable {  // guarded by the lock
    private let lock = NSLock()
    private var error: (any Error)?
    func set(_ e: any Error) { lock.withLock { error = e } }
    var value: (any Error)? { lock.withLock { error } }
}
