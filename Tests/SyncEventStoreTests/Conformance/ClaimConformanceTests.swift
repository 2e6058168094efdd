import Synchronization
import Testing
@testable import SyncEventStore

/// The conformance suite's claim part: concurrent claimers on two handles of one store (for PostgreSQL,
/// two connection pools, as two server processes have) claim every due event exactly once, never two
/// events of one target at a time, and a claim taken over by another handle is fenced off.
@Suite("Conformance: claims across handles")
struct ClaimConformanceTests {
    @Test(arguments: StoreBackend.available)
    func everyDueEventIsClaimedExactlyOnce(backend: StoreBackend) async throws {
        let opened = try await openStore(backend)
        defer { Task { await opened.close() } }
        let (sibling, closeSibling) = try await opened.sibling()
        defer { Task { await closeSibling() } }
        var f = Fixtures(seed: 77)
        let org = f.id(.organization)
        let instance = f.id(.connectorInstance)
        let targets = (0..<8).map { _ in f.id(.connectorTarget) }
        var events: [SyncEvent] = []
        for i in 0..<96 {
            events.append(queuedEvent(&f, org: org, instance: instance, target: i % 4 == 3 ? nil : targets[i % 8], at: 1_000 + Int64(i)))
        }
        try await opened.store.record(contentsOf: events)
        let now = ms(10_000)
        let busyTargets = Locked<Set<TypeID>>([])
        let claimedIDs = Locked<[TypeID]>([])
        let overlaps = Locked<Int>(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                let store: any SyncEventStoring = worker % 2 == 0 ? opened.store : sibling
                group.addTask {
                    var idle = 0
                    while idle < 3 {
                        let claims = try await store.claimDue(now: now, limit: 2, lease: .seconds(600))
                        idle = claims.isEmpty ? idle + 1 : 0
                        for claim in claims {
                            claimedIDs.withLock { $0.append(claim.id) }
                            if let t = claim.event.connectorTargetId {
                                let fresh = busyTargets.withLock { $0.insert(t).inserted }
                                if !fresh { overlaps.withLock { $0 += 1 } }
                                await Task.yield()
                                _ = busyTargets.withLock { $0.remove(t) }
                            }
                            _ = try await store.finish(claim, as: .completed, summary: nil, now: now)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let claimed = claimedIDs.withLock { $0 }
        #expect(claimed.count == events.count)
        #expect(Set(claimed) == Set(events.map(\.id)))
        #expect(overlaps.withLock { $0 } == 0)
        var stored: [SyncEvent] = []
        try await opened.store.exportEvents(organization: nil, batchSize: 50) { stored += $0; return true }
        #expect(stored.allSatisfy { $0.status == .completed })
    }

    /// A worker on one handle loses its lease; the other handle reclaims and claims the event again.
    /// The first worker's finish is refused and changes nothing; the second one's counts.
    @Test(arguments: StoreBackend.available)
    func aReclaimedClaimIsFencedAcrossHandles(backend: StoreBackend) async throws {
        let opened = try await openStore(backend)
        defer { Task { await opened.close() } }
        let (sibling, closeSibling) = try await opened.sibling()
        defer { Task { await closeSibling() } }
        var f = Fixtures(seed: 78)
        let org = f.id(.organization)
        let event = queuedEvent(&f, org: org, instance: f.id(.connectorInstance), target: f.id(.connectorTarget), at: 1_000)
        try await opened.store.record(event)
        let first = try #require(try await opened.store.claimDue(now: ms(2_000), limit: 5, lease: .seconds(1)).first)
        #expect(try await sibling.claimDue(now: ms(2_000), limit: 5, lease: .seconds(1)).isEmpty)
        let reclaimed = try await sibling.reclaimExpired(now: ms(3_500), limit: .max, policy: RetryPolicy())
        #expect(reclaimed.map(\.id) == [event.id])
        #expect(reclaimed.first?.status == .queued)
        let second = try #require(try await sibling.claimDue(now: ms(3_600), limit: 5, lease: .seconds(60)).first)
        #expect(second.id == event.id && second.token != first.token)
        await #expect(throws: SyncEventStoreError.leaseLost(id: event.id)) {
            try await opened.store.finish(first, as: .completed, summary: nil, now: ms(3_700))
        }
        await #expect(throws: SyncEventStoreError.leaseLost(id: event.id)) {
            try await opened.store.extendLease(first, by: .seconds(60), now: ms(3_700))
        }
        let done = try await opened.store.finish(second, as: .partial, summary: ["n": .number(.integer(1))], now: ms(3_800))
        #expect(done.status == .partial && done.attemptCount == 1)
        #expect(try await sibling.event(id: event.id) == done)
        #expect(try await opened.store.hasActiveEvent(target: event.connectorTargetId!) == false)
    }
}

/// A value shared by concurrent tasks, behind a lock.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
