import Foundation
import Testing
@testable import SyncEventStore

/// Issue 9, item 2: the claim queue holds only claimable events, so a claim reads `limit` entries.
@Suite("Claim queue")
struct ClaimQueueTests {
    static func readyEntries(_ store: SyncEventStore) throws -> Int {
        try store.write { txn in
            var n = 0
            try txn.forEachKey(withPrefix: [IndexKind.ready.rawValue]) { _ in n += 1; return true }
            return n
        }
    }

    /// A mass resync queued 2,000 events for a target that is running, and 1,000 backing off: none of them
    /// is in the ready index, only the 5 claimable events are; the busy target's head joins when it ends.
    @Test(arguments: Backend.allCases)
    func blockedAndDelayedEventsStayOutOfTheReadyIndex(backend: Backend) throws {
        let dir = TemporaryDirectory()
        var configuration = Configuration()
        configuration.durability = .relaxed
        let store = try makeStore(backend, dir, configuration: configuration)
        defer { store.close() }
        var f = Fixtures(seed: 61)
        let (org, instance, busy) = (f.id(.organization), f.id(.connectorInstance), f.id(.connectorTarget))
        try store.record(queuedEvent(&f, org: org, instance: instance, target: busy, at: 0))
        let first = try #require(try store.claimDue(now: ms(1), limit: 1).first)
        var events: [SyncEvent] = []
        for i in 0..<2000 { events.append(queuedEvent(&f, org: org, instance: instance, target: busy, at: 10 + Int64(i))) }
        for i in 0..<1000 { events.append(queuedEvent(&f, org: org, instance: instance, at: 5, next: 1_000_000 + Int64(i))) }
        let free = (0..<5).map { i in queuedEvent(&f, org: org, instance: instance, target: i < 3 ? f.id(.connectorTarget) : nil, at: 50_000 + Int64(i)) }
        try store.record(contentsOf: events + free)
        #expect(try Self.readyEntries(store) == 5)
        #expect(try store.claimDue(now: ms(100_000), limit: 10).map(\.id) == free.map(\.id))
        #expect(try Self.readyEntries(store) == 0)
        try store.finish(first, as: .completed, now: ms(100_001))
        #expect(try Self.readyEntries(store) == 1)
        #expect(try store.claimDue(now: ms(100_002), limit: 10).map(\.id) == [events[0].id])
        // The delayed ones become ready as time passes: promoted by a claim, in claim order.
        let late = try store.claimDue(now: ms(1_000_009), limit: 100)
        #expect(late.map(\.id) == events[2000..<2010].map(\.id).sorted())  // same startedAt: by id
        #expect(try store.verifyIndexes() == [])
    }
}
