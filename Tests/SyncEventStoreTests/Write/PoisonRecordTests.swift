import Foundation
import Synchronization
import Testing
@testable import SyncEventStore

/// Issue 9, item 3: no value the write paths accept can turn into a record that fails to decode, and
/// one record that cannot be decoded never stops work on the others.
@Suite("No poison records")
struct PoisonRecordTests {
    static func nested(_ levels: Int) -> JSONObject {
        var value = JSONValue.bool(true)
        for _ in 0..<levels { value = .array([value]) }
        return ["deep": value]
    }

    @Test(arguments: Backend.allCases)
    func nonFiniteNumbersAndTooDeepNestingAreRefusedOnEveryWritePath(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var f = Fixtures(seed: 3)
        let (org, instance, target) = (f.id(.organization), f.id(.connectorInstance), f.id(.connectorTarget))
        // The object is level 0, "deep" level 1, so nested(254) reaches level 255: the deepest accepted.
        let bad: [JSONObject] = [
            ["n": .number(.double(.nan))], ["n": .number(.double(.infinity))],
            ["a": .array([.object(["n": .number(.double(-.infinity))])])], Self.nested(255),
        ]
        for summary in bad {
            var e = queuedEvent(&f, org: org, instance: instance, at: 100)
            e.summaryJson = summary
            #expect(throws: SyncEventStoreError.self) { try store.record(e) }
            #expect(throws: SyncEventStoreError.self) { try store.record(contentsOf: [queuedEvent(&f, org: org, instance: instance, at: 1), e]) }
            #expect(throws: SyncEventStoreError.self) {
                try store.enqueuePush(target: target, sha: "abc", organization: org, instance: instance, summary: summary)
            }
        }
        #expect(try store.count == 0)
        // finish refuses such a summary and the event stays running under its claim.
        try store.record(queuedEvent(&f, org: org, instance: instance, target: target, at: 100))
        let claim = try #require(try store.claimDue(now: ms(1000), limit: 1).first)
        for summary in bad {
            #expect(throws: SyncEventStoreError.self) { try store.finish(claim, as: .completed, summary: summary) }
        }
        #expect(try store.event(id: claim.id)?.status == .running)
        // The deepest accepted nesting round-trips, in the record and in a list page.
        let deepest = Self.nested(254)
        let done = try store.finish(claim, as: .completed, summary: deepest, now: ms(2000))
        #expect(try store.event(id: claim.id) == done)
        let page = try store.listResponse(query: [], as: .admin(organization: org))
        #expect(page.status == 200)
        #expect((try? JSONSerialization.jsonObject(with: Data(page.body))) != nil)
        #expect(try store.verifyIndexes() == [])
    }

    /// A record that fails to decode (written behind validation's back, as a damaged or foreign record
    /// would be) is skipped and reported by claimDue, listed by verify, and the others are claimed.
    @Test(arguments: Backend.allCases)
    func anUndecodableRecordNeverStopsWorkOnTheOthers(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let reported = Mutex<[TypeID]>([])
        var configuration = Configuration()
        configuration.onUndecodableRecord = { id, _ in reported.withLock { $0.append(id) } }
        let store = try makeStore(backend, dir, configuration: configuration)
        defer { store.close() }
        var f = Fixtures(seed: 4)
        let (org, instance, target) = (f.id(.organization), f.id(.connectorInstance), f.id(.connectorTarget))
        var poison = queuedEvent(&f, org: org, instance: instance, target: target, at: 10)  // oldest: first in line
        poison.summaryJson = ["n": .number(.double(.nan))]
        var poisonDelayed = queuedEvent(&f, org: org, instance: instance, at: 11, next: 500)
        poisonDelayed.summaryJson = ["n": .number(.double(.infinity))]
        try store.write { txn in
            try txn.storeRecord(poison)
            try txn.storeRecord(poisonDelayed)
        }
        let sameTarget = queuedEvent(&f, org: org, instance: instance, target: target, at: 20)
        let loose = queuedEvent(&f, org: org, instance: instance, at: 30)
        try store.record(contentsOf: [sameTarget, loose])

        let claims = try store.claimDue(now: ms(1000), limit: 10)
        #expect(claims.map(\.id) == [sameTarget.id, loose.id])
        #expect(reported.withLock { $0 }.sorted() == [poison.id, poisonDelayed.id].sorted())
        let problems = try store.verifyIndexes()
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.contains { $0.contains(poison.id.description) && $0.contains("cannot be decoded") })
        #expect(problems.contains { $0.contains(poisonDelayed.id.description) && $0.contains("cannot be decoded") })
        // The quarantined records stay out of the queue: later claims and enqueues work and report nothing new.
        let before = reported.withLock { $0.count }
        for c in claims { try store.finish(c, as: .completed, now: ms(1100)) }
        #expect(try store.enqueuePush(target: target, sha: "abc", organization: org, instance: instance, now: ms(1200)).wasEnqueued)
        #expect(try store.claimDue(now: ms(1300), limit: 10).count == 1)
        #expect(reported.withLock { $0.count } == before)
    }
}
