import Foundation
import Testing
@testable import SyncEventStore

@Suite("Write side lifecycle")
struct LifecycleTests {
    struct World {
        var f: Fixtures
        let org: TypeID
        let instance: TypeID
        let targets: [TypeID]
        init() {
            var f = Fixtures(seed: 42)
            org = f.id(.organization)
            instance = f.id(.connectorInstance)
            targets = [f.id(.connectorTarget), f.id(.connectorTarget), f.id(.connectorTarget)]
            self.f = f
        }
    }

    @Test(arguments: Backend.allCases)
    func enqueuePushSkipsAnyPushOfTheSameTargetAndSHA(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var w = World()
        let long = String(repeating: "abcdef0123", count: 20)  // 200 bytes: keyed by its SHA-256
        let first = try store.enqueuePush(
            target: w.targets[0], sha: "abc", organization: w.org, instance: w.instance, remoteId: "acme/repo",
            deliveryId: "d1", summary: ["ref": .string("refs/heads/main")], id: w.f.id(.event), now: ms(1000))
        #expect(first.wasEnqueued)
        #expect(first.event.status == .queued && first.event.eventType == .push && first.event.externalEventRef == "d1")
        // Same target and SHA: skipped, whatever the status of the existing event.
        let claims = try store.claimDue(now: ms(2000), limit: 10)
        try store.finish(try #require(claims.first), as: .completed, now: ms(3000))
        let again = try store.enqueuePush(target: w.targets[0], sha: "abc", organization: w.org, instance: w.instance, now: ms(4000))
        #expect(again == .duplicate(existing: try #require(try store.event(id: first.event.id))))
        // Another SHA, another target, a SHA that only shares a prefix: new events.
        #expect(try store.enqueuePush(target: w.targets[0], sha: "abcd", organization: w.org, instance: w.instance).wasEnqueued)
        #expect(try store.enqueuePush(target: w.targets[1], sha: "abc", organization: w.org, instance: w.instance).wasEnqueued)
        #expect(try store.enqueuePush(target: w.targets[0], sha: long, organization: w.org, instance: w.instance).wasEnqueued)
        #expect(!(try store.enqueuePush(target: w.targets[0], sha: long, organization: w.org, instance: w.instance).wasEnqueued))
        // A recorded push (not enqueued) counts too; a manual_resync with the same SHA does not.
        var manual = queuedEvent(&w.f, org: w.org, instance: w.instance, target: w.targets[2], at: 5000)
        manual.sourceRevisionRef = "fff"
        try store.record(manual)
        #expect(try store.enqueuePush(target: w.targets[2], sha: "fff", organization: w.org, instance: w.instance).wasEnqueued)
        // Invalid input is refused and writes nothing.
        let count = try store.count
        #expect(throws: SyncEventStoreError.self) {
            try store.enqueuePush(target: w.targets[2], sha: "", organization: w.org, instance: w.instance)
        }
        #expect(try store.count == count)
        #expect(try store.verifyIndexes() == [])
    }

    @Test(arguments: Backend.allCases)
    func claimDueTakesTheOldestDueEventPerTargetAndSkipsBusyTargets(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var w = World()
        let (a, b, c) = (w.targets[0], w.targets[1], w.targets[2])
        let a1 = queuedEvent(&w.f, org: w.org, instance: w.instance, target: a, at: 100)
        let a2 = queuedEvent(&w.f, org: w.org, instance: w.instance, target: a, at: 50, next: 5000)  // not due yet
        let b1 = queuedEvent(&w.f, org: w.org, instance: w.instance, target: b, at: 300, next: 900)
        let b2 = queuedEvent(&w.f, org: w.org, instance: w.instance, target: b, at: 200)
        var cRunning = queuedEvent(&w.f, org: w.org, instance: w.instance, target: c, at: 10)
        cRunning.status = .running
        let c1 = queuedEvent(&w.f, org: w.org, instance: w.instance, target: c, at: 20)
        let loose1 = queuedEvent(&w.f, org: w.org, instance: w.instance, at: 150)
        let loose2 = queuedEvent(&w.f, org: w.org, instance: w.instance, at: 150)
        try store.record(contentsOf: [a1, a2, b1, b2, cRunning, c1, loose1, loose2])
        let first = try store.claimDue(now: ms(1000), limit: 10, lease: .seconds(60))
        let looseInOrder = [loose1, loose2].sorted { $0.id < $1.id }.map(\.id)
        #expect(first.map(\.id) == [a1.id] + looseInOrder + [b2.id])
        #expect(first.allSatisfy { $0.event.status == .running && $0.leaseExpiresAt == ms(61_000) })
        #expect(Set(first.map(\.token)).count == first.count)
        #expect(try store.allRecords().first { $0.event.id == a1.id }?.lease == ms(61_000))
        // Nothing more is due for a, b (busy) or c (busy since before).
        #expect(try store.claimDue(now: ms(1000), limit: 10) == [])
        try store.finish(first[0], as: .completed, now: ms(2000))
        #expect(try store.claimDue(now: ms(4999), limit: 10) == [])
        let second = try store.claimDue(now: ms(5000), limit: 10)
        #expect(second.map(\.id) == [a2.id])
        // The limit holds.
        try store.finish(first[3], as: .completed, now: ms(6000))
        try store.finish(second[0], as: .completed, now: ms(6000))
        #expect(try store.claimDue(now: ms(7000), limit: 0) == [])
        #expect(try store.claimDue(now: ms(7000), limit: 1).map(\.id) == [b1.id])
        #expect(try store.verifyIndexes() == [])
    }

    @Test(arguments: Backend.allCases)
    func refusedTransitionsAreTypedAndChangeNothing(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var w = World()
        let queued = queuedEvent(&w.f, org: w.org, instance: w.instance, target: w.targets[0], at: 100)
        var completed = queuedEvent(&w.f, org: w.org, instance: w.instance, target: w.targets[1], at: 100)
        completed.status = .completed
        completed.completedAt = ms(200)
        try store.record(contentsOf: [queued, completed])
        let before = try store.allRecords()
        let unknown = w.f.id(.event)
        // Made-up claims (a queued event, a finished one, an unknown id) hold nothing.
        let forged = [queued, completed, SyncEvent(id: unknown, organizationId: w.org, connectorInstanceId: w.instance,
                                                    eventType: .manualResync, status: .running, startedAt: ms(1))]
            .map { Claim(event: $0, token: ClaimToken("00000000000000ab")!, leaseExpiresAt: ms(9999)) }
        for claim in forged {
            #expect(throws: SyncEventStoreError.leaseLost(id: claim.id)) {
                try store.finish(claim, as: .completed, summary: ["x": .bool(true)], now: ms(300))
            }
            #expect(throws: SyncEventStoreError.leaseLost(id: claim.id)) {
                try store.fail(claim, error: "boom", transient: true, now: ms(300))
            }
            #expect(throws: SyncEventStoreError.leaseLost(id: claim.id)) {
                try store.extendLease(claim, by: .seconds(1), now: ms(300))
            }
        }
        #expect(throws: SyncEventStoreError.notFound(unknown)) { try store.retry(id: unknown) }
        #expect(try store.allRecords() == before)
        // A finish whose merged summary breaks a limit is refused too, and the event stays running.
        let claim = try #require(try store.claimDue(now: ms(1000), limit: 1).first)
        let running = try store.allRecords()
        #expect(throws: SyncEventStoreError.self) {
            try store.finish(claim, as: .completed, summary: ["big": .string(String(repeating: "x", count: 70_000))], now: ms(1100))
        }
        // The right token on the wrong event holds nothing either.
        let wrong = Claim(event: completed, token: claim.token, leaseExpiresAt: claim.leaseExpiresAt)
        #expect(throws: SyncEventStoreError.leaseLost(id: completed.id)) { try store.finish(wrong, as: .completed) }
        #expect(try store.allRecords() == running)
        #expect(running != before)
        #expect(try store.verifyIndexes() == [])
    }

    @Test func backoffIsCappedExponentialWithJitter() {
        let p = RetryPolicy(maximumAttempts: 5, baseDelay: .seconds(30), maximumDelay: .seconds(900))
        #expect(p.delayMilliseconds(afterAttempt: 1, unit: 0.5) == 30_000)
        #expect(p.delayMilliseconds(afterAttempt: 1, unit: 0) == 24_000)
        #expect(p.delayMilliseconds(afterAttempt: 3, unit: 0) == 96_000)
        #expect(p.delayMilliseconds(afterAttempt: 3, unit: 0.99) == 143_520)
        #expect(p.delayMilliseconds(afterAttempt: 3, unit: 0.999999) == 144_000)  // rounded as Math.round
        #expect(p.delayMilliseconds(afterAttempt: 6, unit: 0.5) == 900_000)  // 960 s capped at 15 min
        #expect(p.delayMilliseconds(afterAttempt: 2000, unit: 0.5) == 900_000)
        var r = SeededRandomSource(seed: 1)
        for _ in 0..<1000 {
            let u = r.nextUnit()
            #expect(u >= 0 && u < 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func failRetriesTransientErrorsUntilAttemptsRunOut(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var w = World()
        var e = queuedEvent(&w.f, org: w.org, instance: w.instance, target: w.targets[0], at: 100)
        e.summaryJson = ["deliveryId": .string("d"), "lastError": .string("old")]
        try store.record(e)
        let policy = RetryPolicy(maximumAttempts: 3, baseDelay: .seconds(10), maximumDelay: .seconds(900))
        var random = SeededRandomSource(seed: 9)
        var now: Int64 = 1000
        for attempt in 1...2 {
            let claims = try store.claimDue(now: ms(now), limit: 1)
            #expect(claims.map(\.id) == [e.id])
            var expectRandom = random
            let delay = policy.delayMilliseconds(afterAttempt: attempt, unit: expectRandom.nextUnit())
            let r = try store.fail(claims[0], error: "HTTP 502", transient: true, now: ms(now), policy: policy, random: &random)
            guard case .retryScheduled(let s) = r else { Issue.record("not retried: \(r)"); return }
            #expect(s.status == .queued && s.attemptCount == attempt && s.completedAt == nil)
            #expect(s.nextAttemptAt == ms(now + delay))
            #expect(s.summaryJson == ["deliveryId": .string("d"), "lastError": .string("HTTP 502")])
            #expect(try store.claimDue(now: ms(now + delay - 1), limit: 1) == [])
            now += delay
        }
        let last = try store.claimDue(now: ms(now), limit: 1)[0]
        let r = try store.fail(last, error: "HTTP 503", transient: true, now: ms(now), policy: policy, random: &random)
        guard case .failed(let s) = r else { Issue.record("not failed: \(r)"); return }
        #expect(s.status == .failed && s.attemptCount == 3 && s.completedAt == ms(now) && s.nextAttemptAt == nil)
        #expect(s.summaryJson == ["deliveryId": .string("d"), "lastError": .string("HTTP 503"), "error": .string("HTTP 503"), "outcome": .string("failed")])
        // A permanent error fails at once.
        let p = queuedEvent(&w.f, org: w.org, instance: w.instance, target: w.targets[1], at: 100)
        try store.record(p)
        let pc = try store.claimDue(now: ms(now), limit: 1)[0]
        #expect(try store.fail(pc, error: "bad config", transient: false, now: ms(now), policy: policy).event.status == .failed)
        #expect(try store.verifyIndexes() == [])
    }

    @Test(arguments: Backend.allCases)
    func finishMergesTheSummaryAndRetryRequeues(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var w = World()
        var e = queuedEvent(&w.f, org: w.org, instance: w.instance, target: w.targets[0], at: 100)
        e.summaryJson = ["a": .number(.integer(1)), "error": .string("x")]
        try store.record(e)
        let claim = try store.claimDue(now: ms(500), limit: 1)[0]
        let done = try store.finish(claim, as: .partial, summary: ["error": .null, "b": .bool(true)], now: ms(900))
        #expect(done.status == .partial && done.completedAt == ms(900) && done.nextAttemptAt == nil)
        #expect(done.summaryJson == ["a": .number(.integer(1)), "error": .null, "b": .bool(true)])
        #expect(try store.latestCompletedEvent(target: w.targets[0]) == nil)
        #expect(!(try store.hasActiveEvent(target: w.targets[0])))
        let again = try store.retry(id: e.id, now: ms(2000))
        #expect(again.status == .queued && again.attemptCount == 0 && again.completedAt == nil && again.nextAttemptAt == nil)
        #expect(again.startedAt == ms(2000) && again.summaryJson == done.summaryJson)
        #expect(try store.hasActiveEvent(target: w.targets[0]))
        let again2 = try store.claimDue(now: ms(2000), limit: 1)[0]
        #expect(try store.hasActiveEvent(target: w.targets[0]))
        // The first claim was used up; the new one finishes.
        #expect(throws: SyncEventStoreError.leaseLost(id: e.id)) { try store.finish(claim, as: .completed, now: ms(2100)) }
        try store.finish(again2, as: .completed, now: ms(2100))
        #expect(try store.latestCompletedEvent(target: w.targets[0])?.id == e.id)
        #expect(try store.verifyIndexes() == [])
    }

    @Test(arguments: Backend.allCases)
    func reclaimExpiredRequeuesOnlyLapsedLeases(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var w = World()
        let e1 = queuedEvent(&w.f, org: w.org, instance: w.instance, target: w.targets[0], at: 100)
        let e2 = queuedEvent(&w.f, org: w.org, instance: w.instance, target: w.targets[1], at: 100)
        var legacy = queuedEvent(&w.f, org: w.org, instance: w.instance, target: w.targets[2], at: 100)
        legacy.status = .running  // recorded running, never claimed: no lease
        try store.record(contentsOf: [e1, e2, legacy])
        _ = try store.claimDue(now: ms(1000), limit: 1, lease: .seconds(10))  // e1 or e2 by id
        _ = try store.claimDue(now: ms(5000), limit: 1, lease: .seconds(10))
        let firstClaimed = [e1, e2].sorted { $0.id < $1.id }[0].id
        #expect(try store.reclaimExpired(now: ms(10_999)) == [])
        let back = try store.reclaimExpired(now: ms(11_000))
        #expect(back.map(\.id) == [firstClaimed])
        #expect(back[0].status == .queued && back[0].attemptCount == 1 && back[0].summaryJson?["lastError"] == .string("lease expired"))
        #expect(try store.reclaimExpired(now: ms(1_000_000)).count == 1)
        #expect(try store.event(id: legacy.id)?.status == .running)
        // The reclaimed events are due again at once.
        #expect(try store.claimDue(now: ms(1_000_000), limit: 5).count == 2)
        #expect(try store.verifyIndexes() == [])
    }

    @Test(arguments: Backend.allCases)
    func eventLookupAnswersFoundNotFoundOrForbiddenWithTheReferenceBodies(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var w = World()
        let other = w.f.id(.organization)
        let e = queuedEvent(&w.f, org: w.org, instance: w.instance, at: 100)
        try store.record(e)
        #expect(try store.event(id: e.id, as: .admin(organization: w.org)) == .found(e))
        #expect(try store.event(id: e.id, as: .member(organization: w.org, visibleInstances: [w.instance])) == .found(e))
        #expect(try store.event(id: e.id, as: .member(organization: w.org, visibleInstances: [])) == .forbidden)
        #expect(try store.event(id: e.id, as: .admin(organization: other)) == .notFound)
        #expect(try store.event(id: e.id, as: .member(organization: other, visibleInstances: [w.instance])) == .notFound)
        #expect(try store.event(id: w.f.id(.event), as: .admin(organization: w.org)) == .notFound)
        #expect(String(decoding: EventLookup.notFoundBody, as: UTF8.self)
            == #"{"error":"connector_sync_event_not_found","message":"Connector sync event not found."}"#)
        #expect(String(decoding: EventLookup.forbiddenBody, as: UTF8.self)
            == #"{"error":"forbidden","message":"Missing viewer access for connector instance."}"#)
        #expect(EventLookup.forbidden.httpStatus == 403 && EventLookup.notFound.httpStatus == 404)
        #expect(EventLookup.found(e).responseBody == Array(#"{"item":"#.utf8) + e.jsonBytes + [UInt8(ascii: "}")])
    }

    @Test(arguments: Backend.allCases)
    func deletesRemoveRecordsAndIndexEntriesTogether(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var f = Fixtures(seed: 5)
        let orgs = [f.id(.organization), f.id(.organization)]
        let instances = (0..<4).map { _ in f.id(.connectorInstance) }
        var events: [SyncEvent] = []
        for i in 0..<200 {
            let inst = instances[i % 4]
            events.append(f.event(org: orgs[i % 4 < 2 ? 0 : 1], instance: inst, target: i % 3 == 0 ? nil : f.id(.connectorTarget),
                                  startedAt: 1_700_000_000_000 + Int64(i), status: EventStatus.allCases[i % 7]))
        }
        try store.record(contentsOf: events)
        #expect(try store.deleteEvents(ofInstance: instances[0], in: orgs[1]) == 0)  // wrong organization
        #expect(try store.deleteEvents(ofInstance: instances[0], in: orgs[0]) == 50)
        #expect(try store.deleteEvents(ofInstances: [instances[1], instances[1], instances[2]], in: orgs[0]) == 50)
        #expect(try store.verifyIndexes() == [])
        #expect(try store.deleteEvents(ofOrganization: orgs[1]) == 100)
        #expect(try store.count == 0)
        #expect(try store.verifyIndexes() == [])
    }

    @Test(arguments: Backend.allCases)
    func verifyIndexesReportsMissingAndStrayEntries(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var f = Fixtures(seed: 6)
        let e = f.event(org: f.id(.organization), instance: f.id(.connectorInstance), target: f.id(.connectorTarget))
        try store.record(e)
        #expect(try store.verifyIndexes() == [])
        let bytes = RecordCodec.encode(e)
        let keys = bytes.withUnsafeBytes { IndexKey.keys(for: try! RecordView($0)) }
        try store.removeIndexKey(keys[1])
        try store.injectIndexKey([IndexKind.status.rawValue] + Array(repeating: 7, count: 40))
        try store.injectIndexKey([200, 1, 2])
        let problems = try store.verifyIndexes()
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.contains("missing connectorInstance index entry") && $0.contains(e.id.description) })
        #expect(problems.contains { $0.hasPrefix("stray status index entry") })
        #expect(problems.contains { $0.hasPrefix("index entry of unknown kind 200") })
    }
}
