import Foundation
import Testing
@testable import SyncEventStore

/// Issue 9, items 4 and 5: a running event can always be ended, and no caller's value traps.
@Suite("Events that can always end")
struct EventsCanEndTests {
    static func setUp(_ store: SyncEventStore, summary: JSONObject? = nil, startedAt: Int64 = 100, seed: UInt64 = 12)
        throws -> SyncEvent
    {
        var f = Fixtures(seed: seed)
        var e = queuedEvent(&f, org: f.id(.organization), instance: f.id(.connectorInstance), target: f.id(.connectorTarget),
                            at: startedAt)
        e.summaryJson = summary
        try store.record(e)
        return e
    }

    /// The summary is near its limit and the message is long, escapes grow it 6-fold, and a final failure
    /// stores it twice: the failure is still recorded, the message cut in bytes.
    @Test(arguments: Backend.allCases, [false, true])
    func aFailureIsRecordedWhateverTheMessage(backend: Backend, transient: Bool) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        let limit = RecordLimits().maximumSummaryBytes
        let filler = String(repeating: "s", count: limit - 1000)
        let e = try Self.setUp(store, summary: ["log": .string(filler)])
        let claim = try #require(try store.claimDue(now: ms(1000), limit: 1).first)
        let message = String(repeating: "\u{1}é😀\"", count: 3000)
        let r = try store.fail(claim, error: message, transient: transient, now: ms(2000),
                               policy: RetryPolicy(maximumAttempts: 2))
        let stored = try #require(try store.event(id: e.id))
        #expect(stored == r.event)
        #expect(stored.status == (transient ? .queued : .failed))
        guard case .string(let cut) = stored.summaryJson?["lastError"] else { Issue.record("no lastError"); return }
        #expect(message.hasPrefix(cut) && cut.utf8.count <= 2000)
        #expect(stored.summaryJson?["log"] == .string(filler))
        var json: [UInt8] = []
        JSONWriter.write(.object(stored.summaryJson!), to: &json)
        #expect(json.count <= limit)
        if !transient { #expect(stored.summaryJson?["error"] == .string(cut)) }
        // Even a summary already at its limit takes a failure (its largest keys give way).
        let full = try Self.setUp(store, summary: ["log": .string(String(repeating: "x", count: limit - 10))], startedAt: 5, seed: 13)
        let c2 = try #require(try store.claimDue(now: ms(3000), limit: 5).first { $0.id == full.id })
        let f2 = try store.fail(c2, error: "boom", transient: false, now: ms(4000))
        #expect(f2.event.status == .failed && f2.event.summaryJson?["error"] == .string("boom"))
        #expect(try store.verifyIndexes() == [])
    }

    /// The clock stepped back below `startedAt` between claim and end: `completedAt` is clamped to it.
    @Test(arguments: Backend.allCases)
    func aNowBeforeStartedAtIsClamped(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        let e = try Self.setUp(store, startedAt: 5000)
        var claim = try #require(try store.claimDue(now: ms(6000), limit: 1).first)
        let done = try store.finish(claim, as: .completed, now: ms(1000))
        #expect(done.status == .completed && done.completedAt == ms(5000))
        _ = try store.retry(id: e.id, now: ms(7000))
        claim = try #require(try store.claimDue(now: ms(8000), limit: 1).first)
        let failed = try store.fail(claim, error: "x", transient: false, now: ms(10))
        #expect(failed.event.status == .failed && failed.event.completedAt == ms(7000))
        #expect(try store.verifyIndexes() == [])
    }

    /// A worker that keeps dying: each expired lease counts as an attempt, and at `maximumAttempts` the
    /// event is dead-lettered instead of re-queued for ever.
    @Test(arguments: Backend.allCases)
    func reclaimExpiredCountsAttemptsAndDeadLetters(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        let e = try Self.setUp(store, summary: ["delivery": .string("d1")])
        let policy = RetryPolicy(maximumAttempts: 3)
        var now: Int64 = 1000
        for attempt in 1...3 {
            let claim = try #require(try store.claimDue(now: ms(now), limit: 1, lease: .seconds(1)).first)
            #expect(claim.id == e.id)
            now += 1000
            let back = try store.reclaimExpired(now: ms(now), policy: policy)
            #expect(back.map(\.id) == [e.id] && back[0].attemptCount == attempt)
            #expect(back[0].status == (attempt < 3 ? .queued : .failed))
        }
        let dead = try #require(try store.event(id: e.id))
        #expect(dead.status == .failed && dead.completedAt == ms(now) && dead.nextAttemptAt == nil)
        #expect(dead.summaryJson == ["delivery": .string("d1"), "lastError": .string("lease expired"),
                                     "error": .string("lease expired"), "outcome": .string("failed")])
        #expect(try store.claimDue(now: ms(now + 10_000), limit: 1) == [])
        #expect(try store.reclaimExpired(now: ms(now + 10_000), policy: policy) == [])
        #expect(try store.verifyIndexes() == [])
    }

    /// Item 5: huge and negative leases and back-off delays clamp; nothing traps.
    @Test(arguments: Backend.allCases)
    func hugeLeasesAndDelaysClampInsteadOfTrapping(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        _ = try Self.setUp(store)
        var claim = try #require(try store.claimDue(now: ms(1000), limit: 1, lease: .seconds(Int64.max)).first)
        #expect(claim.leaseExpiresAt == Timestamp.latest)
        claim = try store.extendLease(claim, by: .seconds(Int64.min), now: ms(2000))
        #expect(claim.leaseExpiresAt == ms(2000))
        claim = try store.extendLease(claim, by: Duration(secondsComponent: Int64.max, attosecondsComponent: 999_999_999_999_999_999), now: ms(2000))
        #expect(claim.leaseExpiresAt == Timestamp.latest)
        let huge = RetryPolicy(maximumAttempts: 10, baseDelay: .seconds(Int64.max), maximumDelay: .seconds(Int64.max))
        #expect(huge.delayMilliseconds(afterAttempt: 1, unit: 0.99) == Int64.max)
        #expect(huge.delayMilliseconds(afterAttempt: Int.max, unit: 0.5) == Int64.max)
        #expect(RetryPolicy(baseDelay: .seconds(-5)).delayMilliseconds(afterAttempt: 1, unit: 0.5) == 0)
        let r = try store.fail(claim, error: "later", transient: true, now: ms(3000), policy: huge)
        #expect(r.event.nextAttemptAt == Timestamp.latest)
        #expect(try store.claimDue(now: Timestamp.latest, limit: 1).count == 1)
        #expect(try store.verifyIndexes() == [])
    }
}
