import Foundation
import Synchronization
import Testing
@testable import SyncEventStore

/// Two claimers on one store never get the same event: threads in one process, and two processes.
@Suite("Concurrent claims")
struct ConcurrentClaimTests {
    static let now: Int64 = 1_767_000_000_000

    /// `count` due events: half without a target, half each with a target of its own.
    static func seed(_ store: SyncEventStore, count: Int) throws -> Set<TypeID> {
        var f = Fixtures(seed: 77)
        let org = f.id(.organization)
        let instance = f.id(.connectorInstance)
        var ids = Set<TypeID>()
        var batch: [SyncEvent] = []
        for i in 0..<count {
            let e = queuedEvent(&f, org: org, instance: instance, target: i % 2 == 0 ? nil : f.id(.connectorTarget),
                                at: now - Int64(count - i), next: i % 3 == 0 ? now - 1 : nil)
            ids.insert(e.id)
            batch.append(e)
            if batch.count == 1000 {
                try store.record(contentsOf: batch)
                batch.removeAll()
            }
        }
        try store.record(contentsOf: batch)
        return ids
    }

    /// Claims at `now` in batches until a few rounds in a row find nothing.
    static func claimAll(_ store: SyncEventStore) throws -> [TypeID] {
        var mine: [TypeID] = []
        var empty = 0
        while empty < 3 {
            let claimed = try store.claimDue(now: ms(now), limit: 20)
            empty = claimed.isEmpty ? empty + 1 : 0
            mine += claimed.map(\.id)
        }
        return mine
    }

    @Test(arguments: Backend.allCases)
    func twoThreadsClaimEveryEventExactlyOnce(backend: Backend) throws {
        let dir = TemporaryDirectory()
        var configuration = Configuration()
        configuration.durability = .relaxed
        let store = try makeStore(backend, dir, configuration: configuration)
        defer { store.close() }
        let ids = try Self.seed(store, count: 2000)
        let results = Mutex<[[TypeID]]>([])
        let failures = Counter()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            do {
                let mine = try Self.claimAll(store)
                results.withLock { $0.append(mine) }
            } catch {
                failures.increment()
            }
        }
        #expect(failures.value == 0)
        let all = results.withLock { $0 }
        #expect(all.count == 2)
        #expect(all.reduce(0) { $0 + $1.count } == ids.count)
        #expect(Set(all.joined()) == ids)
        #expect(try store.verifyIndexes() == [])
    }

    @Test func twoProcessesClaimEveryEventExactlyOnce() throws {
        let dir = TemporaryDirectory()
        let path = dir.sub("store")
        var configuration = Configuration()
        configuration.durability = .relaxed
        configuration.initialMapSize = 64 << 20
        let store = try SyncEventStore.open(at: path, configuration: configuration)
        defer { store.close() }
        let ids = try Self.seed(store, count: 10_000)

        let output = dir.sub("claimed-by-worker.txt")
        let worker = Process()
        worker.executableURL = try claimWorkerExecutable()
        worker.arguments = [path, output, String(Self.now), "20"]
        try worker.run()
        // Start claiming here once the other process has the store open, so the two really race.
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: output + ".started"), worker.isRunning, Date() < deadline {
            usleep(2000)
        }
        let mine = try Self.claimAll(store)
        worker.waitUntilExit()
        #expect(worker.terminationStatus == 0)
        let theirs = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map {
            try TypeID(parsing: String($0), expectingPrefix: .event)
        }
        #expect(!mine.isEmpty && !theirs.isEmpty, "both processes should have claimed: \(mine.count) + \(theirs.count)")
        #expect(mine.count + theirs.count == ids.count)
        #expect(Set(mine).isDisjoint(with: theirs))
        #expect(Set(mine).union(theirs) == ids)
        #expect(try store.allRecords().allSatisfy { $0.event.status == .running && $0.lease != nil })
        #expect(try store.verifyIndexes() == [])
    }

    /// The `claim-worker` binary built beside the tests, built on demand when missing.
    func claimWorkerExecutable() throws -> URL {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("claim-worker"))
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("claim-worker"))
        let fallback = packageRoot.appendingPathComponent(".build/debug/claim-worker")
        candidates.append(fallback)
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) { return found }
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        build.arguments = ["swift", "build", "--product", "claim-worker", "--package-path", packageRoot.path]
        try build.run()
        build.waitUntilExit()
        return fallback
    }
}
