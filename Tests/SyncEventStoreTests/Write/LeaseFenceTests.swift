import Foundation
import Testing
@testable import SyncEventStore

/// Issue 9, item 1: a claim is the capability to end an event; a worker whose lease was taken over is
/// refused and changes nothing.
@Suite("Fenced leases")
struct LeaseFenceTests {
    static func world() -> (Fixtures, TypeID, TypeID, TypeID) {
        var f = Fixtures(seed: 91)
        return (f, f.id(.organization), f.id(.connectorInstance), f.id(.connectorTarget))
    }

    /// The scenario: A's sync outlives its lease, the event is reclaimed and claimed by B; A's
    /// late finish or transient fail must not close or re-queue B's run.
    @Test(arguments: Backend.allCases)
    func aLateWorkerCannotEndOrRequeueTheRunOfTheWorkerThatTookOver(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var (f, org, instance, target) = Self.world()
        let e = queuedEvent(&f, org: org, instance: instance, target: target, at: 100)
        let later = queuedEvent(&f, org: org, instance: instance, target: target, at: 200)
        try store.record(contentsOf: [e, later])
        let a = try #require(try store.claimDue(now: ms(1000), limit: 1, lease: .seconds(10)).first)
        #expect(a.id == e.id && a.leaseExpiresAt == ms(11_000))
        #expect(try store.reclaimExpired(now: ms(11_000)).map(\.id) == [e.id])
        let b = try #require(try store.claimDue(now: ms(11_001), limit: 1, lease: .seconds(10)).first)
        #expect(b.id == e.id && b.token != a.token)
        let whileBWorks = try store.allRecords()
        #expect(throws: SyncEventStoreError.leaseLost(id: e.id)) { try store.finish(a, as: .completed, now: ms(12_000)) }
        #expect(throws: SyncEventStoreError.leaseLost(id: e.id)) {
            try store.fail(a, error: "timeout", transient: true, now: ms(12_000))
        }
        #expect(throws: SyncEventStoreError.leaseLost(id: e.id)) { try store.extendLease(a, by: .seconds(60), now: ms(12_000)) }
        #expect(try store.allRecords() == whileBWorks)
        // No third worker gets a second sync of the target while B works.
        #expect(try store.claimDue(now: ms(12_000), limit: 5) == [])
        // B's heartbeat keeps it past the old lease end; B finishes.
        let renewed = try store.extendLease(b, by: .seconds(60), now: ms(20_000))
        #expect(renewed.leaseExpiresAt == ms(80_000) && renewed.token == b.token)
        #expect(try store.reclaimExpired(now: ms(79_999)) == [])
        let done = try store.finish(renewed, as: .completed, now: ms(30_000))
        #expect(done.status == .completed && done.completedAt == ms(30_000))
        // A used-up claim is refused too, and a late finish after the lease but before any reclaim works.
        #expect(throws: SyncEventStoreError.leaseLost(id: e.id)) { try store.finish(b, as: .completed) }
        let c = try #require(try store.claimDue(now: ms(40_000), limit: 1, lease: .seconds(1)).first)
        #expect(c.id == later.id)
        #expect(try store.finish(c, as: .partial, now: ms(90_000)).status == .partial)
        #expect(try store.verifyIndexes() == [])
    }

    @Test(arguments: Backend.allCases)
    func retryOfARunningEventRevokesItsClaim(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var (f, org, instance, target) = Self.world()
        let e = queuedEvent(&f, org: org, instance: instance, target: target, at: 100)
        try store.record(e)
        let first = try #require(try store.claimDue(now: ms(1000), limit: 1).first)
        let requeued = try store.retry(id: e.id, now: ms(2000))
        #expect(requeued.status == .queued)
        #expect(throws: SyncEventStoreError.leaseLost(id: e.id)) { try store.finish(first, as: .completed, now: ms(2500)) }
        let second = try #require(try store.claimDue(now: ms(3000), limit: 1).first)
        #expect(second.token != first.token)
        #expect(try store.finish(second, as: .completed, now: ms(4000)).status == .completed)
        #expect(try store.verifyIndexes() == [])
    }

    /// The fence is stored with the record: it survives closing and reopening the store.
    @Test func theFenceSurvivesARestart() throws {
        let dir = TemporaryDirectory()
        let path = dir.sub("store")
        var (f, org, instance, target) = Self.world()
        let e = queuedEvent(&f, org: org, instance: instance, target: target, at: 100)
        var store = try SyncEventStore.open(at: path)
        try store.record(e)
        let claim = try #require(try store.claimDue(now: ms(1000), limit: 1).first)
        store.close()
        store = try SyncEventStore.open(at: path)
        defer { store.close() }
        let forged = Claim(event: claim.event, token: ClaimToken(String(claim.token.description.reversed()))!,
                           leaseExpiresAt: claim.leaseExpiresAt)
        #expect(throws: SyncEventStoreError.leaseLost(id: e.id)) { try store.finish(forged, as: .completed, now: ms(2000)) }
        #expect(try store.finish(claim, as: .completed, now: ms(2000)).status == .completed)
    }

    @Test func tokensPrintAndParse() {
        let t = ClaimToken.random()
        #expect(ClaimToken(t.description) == t && t.description.count == 16)
        #expect(ClaimToken("xyz") == nil && ClaimToken("") == nil && ClaimToken("0123456789abcdef0") == nil)
    }

    /// Two worker processes with short leases, some jobs outliving their lease: every event ends exactly
    /// once, completed by the claim that held it (its token is in the summary), and every late worker was
    /// refused.
    @Test func twoWorkerProcessesWithShortLeasesEndEveryEventExactlyOnce() throws {
        let dir = TemporaryDirectory()
        let path = dir.sub("store")
        var configuration = Configuration()
        configuration.durability = .relaxed
        configuration.initialMapSize = 64 << 20
        let store = try SyncEventStore.open(at: path, configuration: configuration)
        var (f, org, instance, _) = Self.world()
        let now = Timestamp.now.millisecondsSince1970
        var events: [SyncEvent] = []
        for i in 0..<60 {
            // Half share a few targets (one run at a time each), half have their own.
            let target = i % 2 == 0 ? nil : f.id(.connectorTarget)
            events.append(queuedEvent(&f, org: org, instance: instance, target: target, at: now - 1000 + Int64(i)))
        }
        try store.record(contentsOf: events)
        store.close()

        let executable = try ConcurrentClaimTests().claimWorkerExecutable()
        let outputs = [dir.sub("worker-1.txt"), dir.sub("worker-2.txt")]
        let workers = outputs.enumerated().map { k, output in
            let p = Process()
            p.executableURL = executable
            p.arguments = ["--lease", path, output, "60", String(k + 1)]
            return p
        }
        for w in workers { try w.run() }
        for w in workers { w.waitUntilExit() }
        #expect(workers.allSatisfy { $0.terminationStatus == 0 })

        var finished: [TypeID: [String]] = [:]
        var lost = 0
        for output in outputs {
            for line in try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n") {
                let parts = line.split(separator: " ").map(String.init)
                let id = try TypeID(parsing: parts[1], expectingPrefix: .event)
                if parts[0] == "finished" { finished[id, default: []].append(parts[2]) } else { lost += 1 }
            }
        }
        #expect(lost > 0, "no worker outlived its lease: the test did not exercise the fence")
        let reopened = try SyncEventStore.open(at: path, configuration: configuration)
        defer { reopened.close() }
        for e in events {
            let tokens = finished[e.id] ?? []
            #expect(tokens.count == 1, "\(e.id) finished \(tokens.count) times")
            let stored = try #require(try reopened.event(id: e.id))
            #expect(stored.status == .completed)
            #expect(stored.summaryJson?["finishedByClaim"] == tokens.first.map { .string($0) })
        }
        #expect(try reopened.verifyIndexes() == [])
    }
}

/// A store of format 1 (one `due` index for every queued event) is migrated to the claim queue on open.
@Suite("Format 1 migration")
struct FormatMigrationTests {
    @Test func aFormat1StoreGetsItsClaimQueueOnOpen() throws {
        let dir = TemporaryDirectory()
        let path = dir.sub("store")
        var f = Fixtures(seed: 31)
        let (org, instance) = (f.id(.organization), f.id(.connectorInstance))
        let t = [f.id(.connectorTarget), f.id(.connectorTarget)]
        var running = queuedEvent(&f, org: org, instance: instance, target: t[1], at: 1)
        running.status = .running
        let events = [
            queuedEvent(&f, org: org, instance: instance, target: t[0], at: 30),
            queuedEvent(&f, org: org, instance: instance, target: t[0], at: 20, next: 500),
            queuedEvent(&f, org: org, instance: instance, target: t[1], at: 10),
            queuedEvent(&f, org: org, instance: instance, at: 40), running,
        ]
        var store = try SyncEventStore.open(at: path)
        try store.record(contentsOf: events)
        // Rewrite the queue indexes as format 1 had them (per-target entries at their own key byte).
        try store.write { txn in
            try moveToPreFormat4Layout(txn)
            for kind in [IndexKind.delayed, .targetQueue, .ready, .queueHead] {
                var keys: [[UInt8]] = []
                try txn.forEachKey(withPrefix: [kind.rawValue]) { keys.append(Array($0)); return true }
                for k in keys { try txn.delete(.indexes, k) }
            }
            for e in events where e.status == .queued {
                var k: [UInt8] = [IndexKind.delayed.rawValue]
                IndexKey.appendBE(IndexKey.biased(e.nextAttemptAt?.millisecondsSince1970 ?? Int64.min), to: &k)
                IndexKey.appendBE(IndexKey.biased(e.startedAt.millisecondsSince1970), to: &k)
                try txn.put(.indexes, k + e.id.bytes, [])
            }
            try txn.put(.meta, Array("format".utf8), [1])
        }
        #expect(try store.verifyIndexes() != [])
        store.close()
        store = try SyncEventStore.open(at: path)
        defer { store.close() }
        #expect(try store.verifyIndexes() == [])
        // t[1] runs; t[0]'s oldest ready event is the one at 30 (the one at 20 backs off until 500).
        #expect(try store.claimDue(now: ms(100), limit: 10).map(\.id) == [events[0].id, events[3].id])
        #expect(try store.claimDue(now: ms(600), limit: 10) == [])  // t[0] is busy now
    }

    /// A store of format 3 (per-target entries at their own key byte, far apart; instance+status entries
    /// keyed instance first) gets format 4's keys on open: the same entries as a store written by this
    /// build, and `verify` passes.
    @Test func aFormat3StoreGetsItsPerTargetEntriesGroupedOnOpen() throws {
        let dir = TemporaryDirectory()
        let path = dir.sub("store")
        var f = Fixtures(seed: 32)
        let (org, instance) = (f.id(.organization), f.id(.connectorInstance))
        let targets = (0..<40).map { _ in f.id(.connectorTarget) }
        var events: [SyncEvent] = []
        for (i, t) in targets.enumerated() {
            events.append(queuedEvent(&f, org: org, instance: instance, target: t, at: Int64(10 * i + 1)))
            events.append(queuedEvent(&f, org: org, instance: instance, target: t, at: Int64(10 * i + 2), next: i % 3 == 0 ? 5_000 : nil))
            if i % 4 == 0 {
                var done = queuedEvent(&f, org: org, instance: instance, target: t, at: Int64(10 * i + 3))
                done.status = .completed
                done.completedAt = ms(10 * Int64(i) + 4)
                events.append(done)
            }
        }
        var store = try SyncEventStore.open(at: path)
        try store.record(contentsOf: events)
        _ = try store.claimDue(now: ms(1_000), limit: 7)  // some targets running, their next events blocked
        let written = try allIndexKeys(store)
        #expect(written.contains { $0[0] == IndexKind.perTarget.rawValue && $0[17] == IndexKind.queueHead.rawValue })
        try store.write { txn in
            try moveToPreFormat4Layout(txn)
            try txn.put(.meta, Array("format".utf8), [3])
        }
        let legacy = try allIndexKeys(store)
        #expect(legacy != written && !legacy.contains { $0[0] == IndexKind.perTarget.rawValue || $0[0] == IndexKind.instanceStatus.rawValue })
        #expect(legacy.count == written.count && legacy.contains { $0[0] == 6 })
        #expect(try store.verifyIndexes().contains { $0.contains("missing connectorTarget+status index entry") })
        store.close()
        let heard: Lines
        (store, heard) = try openHearingProgress(path)
        defer { store.close() }
        #expect(heard.all.contains { $0.contains("format 4 (index entries grouped by target)") }, "\(heard.all)")
        #expect(heard.all.contains { $0.contains("format 4 (instance and status entries keyed status first)") }, "\(heard.all)")
        #expect(try allIndexKeys(store) == written)
        #expect(try store.verifyIndexes() == [])
        #expect(try store.write { try $0.get(.meta, Array("format".utf8)) } == [4])
        // The queue works on the moved entries: one claim per free target, in claim order.
        let claimed = try store.claimDue(now: ms(1_000), limit: 100)
        let running = Set(try store.allRecords().map(\.event).filter { $0.status == .running }.compactMap(\.connectorTargetId))
        #expect(claimed.count == 40 - 7 && running.count == 40)
    }

    /// An upgrade waits until no other process has the store open: a process of an older release opened
    /// before it would go on reading and writing the old layout. The open that refuses changes nothing.
    @Test func anUpgradeIsRefusedWhileAnotherProcessHasTheStoreOpen() throws {
        let dir = TemporaryDirectory()
        let path = dir.sub("store")
        var f = Fixtures(seed: 33)
        let (org, instance) = (f.id(.organization), f.id(.connectorInstance))
        let events = (0..<20).map { i in queuedEvent(&f, org: org, instance: instance, target: f.id(.connectorTarget), at: Int64(i + 1)) }
        var store = try SyncEventStore.open(at: path)
        try store.record(contentsOf: events)
        store.close()
        let holder = try WorkerProcess(["hold", path, "60"], in: dir, name: "holder")
        defer { holder.kill() }
        let deadline = Date().addingTimeInterval(30)
        while !holder.lines.contains("open"), holder.process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(holder.lines.contains("open"), "\(holder.stderr)")
        // Alone or not, a store of the current format opens; this one is then made a format 3 store.
        store = try SyncEventStore.open(at: path)
        try store.write { txn in
            try moveToPreFormat4Layout(txn)
            try txn.put(.meta, Array("format".utf8), [3])
        }
        let legacy = try allIndexKeys(store)
        store.close()
        #expect {
            _ = try SyncEventStore.open(at: path)
        } throws: { error in
            guard case SyncEventStoreError.io(let code, let message) = error else { return false }
            return code == EBUSY && message.contains("process \(holder.process.processIdentifier) has it open")
        }
        holder.kill()
        let heard: Lines
        (store, heard) = try openHearingProgress(path)
        defer { store.close() }
        // Still format 3 after the refusal: this open upgraded it, from the same entries.
        #expect(heard.all.contains { $0.contains("format 4") }, "\(heard.all)")
        #expect(try store.verifyIndexes() == [])
        #expect(try allIndexKeys(store).count == legacy.count)
        #expect(try store.claimDue(now: ms(1_000), limit: 100).count == 20)
    }
}
