import Foundation
import Synchronization
import Testing
@testable import SyncEventStore

/// Issue 9, item 6: long deletes and `prune` work in bounded transactions (a claim gets in between
/// chunks) and give the same result as the reference model.
@Suite("Bounded transactions")
struct BoundedTransactionTests {
    /// `count` finished events over a few targets and instances (a third without a target), plus one
    /// queued event in another organization.
    static func seed(_ store: SyncEventStore, count: Int, seed: UInt64) throws -> (org: TypeID, events: [SyncEvent], queued: SyncEvent) {
        var f = Fixtures(seed: seed)
        let org = f.id(.organization)
        let instances = (0..<3).map { _ in f.id(.connectorInstance) }
        let targets = (0..<5).map { _ in f.id(.connectorTarget) }
        let statuses: [EventStatus] = [.completed, .failed, .partial, .ignored, .completed, .pending]
        var events: [SyncEvent] = []
        for i in 0..<count {
            var e = f.event(org: org, instance: instances[i % 3], target: i % 3 == 0 ? nil : targets[i % 5],
                            startedAt: 1_700_000_000_000 + Int64(i * 7 % count) * 1000, status: statuses[i % statuses.count])
            if e.status != .pending { e.completedAt = e.startedAt }
            events.append(e)
        }
        var k = 0
        while k < events.count {
            try store.record(contentsOf: events[k..<min(k + 5000, events.count)])
            k += 5000
        }
        let queued = queuedEvent(&f, org: f.id(.organization), instance: f.id(.connectorInstance), at: 1)
        try store.record(queued)
        return (org, events, queued)
    }

    @Test(arguments: Backend.allCases, [0, 3])
    func pruneInChunksMatchesTheModel(backend: Backend, keep: Int) throws {
        let dir = TemporaryDirectory()
        var configuration = Configuration()
        configuration.durability = .relaxed
        let store = try makeStore(backend, dir, configuration: configuration)
        defer { store.close() }
        let (_, events, queued) = try Self.seed(store, count: 3000, seed: 21)
        var model = ReferenceModel()
        for e in events + [queued] { model.record(e) }
        let cutoff = ms(1_700_000_000_000 + 2000 * 1000)
        let expected = model.prune(olderThan: cutoff, keepingLatest: keep)
        #expect(expected > 1024, "the case must span several chunks")
        #expect(try store.prune(olderThan: cutoff, keepingLatest: keep) == expected)
        #expect(try store.allRecords().map(\.event) == model.sorted.map(\.event))
        #expect(try store.prune(olderThan: cutoff, keepingLatest: keep) == 0)
        #expect(try store.verifyIndexes() == [])
    }

    /// A claim started while an organization's events are being deleted returns before the delete ends.
    @Test(arguments: Backend.allCases)
    func aClaimGetsInWhileAnOrganizationIsDeleted(backend: Backend) throws {
        let dir = TemporaryDirectory()
        var configuration = Configuration()
        configuration.durability = .relaxed
        let store = try makeStore(backend, dir, configuration: configuration)
        defer { store.close() }
        let (org, events, queued) = try Self.seed(store, count: 4_000, seed: 22)
        let deleteDone = Atomic<Bool>(false)
        let claimedWhileDeleting = Atomic<Bool>(false)
        let removed = Mutex<Int>(0)
        // The delete on a thread of its own (a dispatch pool busy with other tests may run work serially).
        let finished = DispatchSemaphore(value: 0)
        let deleter = Thread {
            let n = (try? store.deleteEvents(ofOrganization: org)) ?? -1
            removed.withLock { $0 = n }
            deleteDone.store(true, ordering: .sequentiallyConsistent)
            finished.signal()
        }
        deleter.start()
        // Wait until the delete has committed a few chunks, then claim.
        while !deleteDone.load(ordering: .sequentiallyConsistent), try store.count > events.count - 100 { usleep(200) }
        let claims = try store.claimDue(now: ms(10), limit: 1)
        claimedWhileDeleting.store(!deleteDone.load(ordering: .sequentiallyConsistent), ordering: .sequentiallyConsistent)
        #expect(claims.map(\.id) == [queued.id])
        finished.wait()
        #expect(removed.withLock { $0 } == events.count)
        let interleaved = claimedWhileDeleting.load(ordering: .sequentiallyConsistent)
        #expect(interleaved, "the claim waited for the whole delete")
        #expect(try store.count == 1)
        #expect(try store.verifyIndexes() == [])
    }
}
