import Foundation
import Testing
@testable import SyncEventStore

/// The conformance suite's lifecycle part: a worker's life on a random schedule through
/// ``SyncEventStoring``, checked step by step against ``ReferenceModel`` on every backend (on the embedded
/// ones, the stored records with their leases too). It replaced the embedded-only worker simulation,
/// which ran the same schedule through the synchronous API.
@Suite("Conformance: worker lifecycle")
struct WorkerConformanceTests {
    @Test(arguments: StoreBackend.available, [UInt64(1), 2, 3])
    func storeEqualsTheReferenceModelAfterEveryStep(backend: StoreBackend, seed: UInt64) async throws {
        let opened = try await openStore(backend)
        let store = opened.store
        defer { Task { await opened.close() } }
        var f = Fixtures(seed: seed)
        var rng = SeededRandomSource(seed: seed &* 7919)
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

        let orgs = [f.id(.organization), f.id(.organization)]
        // Three instances, each with two targets; instance i belongs to orgs[i % 2].
        var instances: [(org: TypeID, instance: TypeID, targets: [TypeID])] = (0..<3).map { i in
            (orgs[i % 2], f.id(.connectorInstance), [f.id(.connectorTarget), f.id(.connectorTarget)])
        }
        let shas = ["a1b2c3", "d4e5f6", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab", "ffff"]
        let policy = RetryPolicy(maximumAttempts: 3, baseDelay: .seconds(20), maximumDelay: .seconds(120))
        let leaseMs: Int64 = 5 * 60_000
        var model = ReferenceModel()
        var now: Int64 = 1_767_000_000_000
        var counts: [String: Int] = [:]

        func check(_ step: Int, _ what: String) async throws {
            counts[what, default: 0] += 1
            var stored: [SyncEvent] = []
            try await store.exportEvents(organization: nil, batchSize: 1000) { stored += $0; return true }
            let expected = model.sorted.map(\.event)
            #expect(stored == expected, "step \(step) \(what): the store differs from the model")
            if let embedded = store as? SyncEventStore {
                // The embedded engines are compared record by record, their lease deadlines included.
                #expect(try embedded.allRecords() == model.sorted, "step \(step) \(what): stored records differ")
            }
            let problems = try await store.verifyIndexes(maximumProblems: 100)
            #expect(problems.isEmpty, "step \(step) \(what): \(problems)")
            if stored != expected || !problems.isEmpty { throw CancellationError() }
            let probe = instances[pick(instances.count)]
            for t in probe.targets {
                #expect(try await store.latestCompletedEvent(target: t) == model.latestCompleted(target: t))
                #expect(try await store.hasActiveEvent(target: t) == model.hasActive(target: t))
            }
        }
        // The claims workers hold (the latest per event), and claims that lost their event since.
        var held: [TypeID: Claim] = [:]
        var stale: [Claim] = []
        func anyHeld() -> Claim? {
            let ids = model.records.filter { $0.event.status == .running && held[$0.event.id] != nil }.map(\.event.id)
            return ids.isEmpty ? nil : held.removeValue(forKey: ids[pick(ids.count)])
        }
        func invalidate(_ id: TypeID) {
            if let c = held.removeValue(forKey: id) { stale.append(c) }
        }

        for step in 0..<400 {
            now += Int64(pick(90_000))
            let t = ms(now)
            let roll = pick(100)
            switch roll {
            case 0..<22:  // a push webhook
                let inst = instances[pick(instances.count)]
                let target = inst.targets[pick(2)]
                let sha = shas[pick(shas.count)]
                let id = f.id(.event)
                let delivery = "delivery-\(pick(1000))"
                let got = try await store.enqueuePush(
                    target: target, sha: sha, organization: inst.org, instance: inst.instance, remoteId: "acme/repo",
                    deliveryId: delivery, summary: ["headSha": .string(sha)], id: id, now: t)
                let candidate = SyncEvent(
                    id: id, organizationId: inst.org, connectorInstanceId: inst.instance, connectorTargetId: target,
                    remoteId: "acme/repo", eventType: .push, externalEventRef: delivery, sourceRevisionRef: sha,
                    status: .queued, summaryJson: ["headSha": .string(sha)], startedAt: t)
                #expect(got == model.enqueuePush(candidate))
                try await check(step, got.wasEnqueued ? "webhook" : "webhook duplicate")
            case 22..<27:  // a manual resync without a target
                let inst = instances[pick(instances.count)]
                let e = queuedEvent(&f, org: inst.org, instance: inst.instance, at: now)
                try await store.record(e)
                model.record(e)
                try await check(step, "manual resync")
            case 27..<45:  // a worker claims
                let limit = 1 + pick(3)
                let got = try await store.claimDue(now: t, limit: limit, lease: .milliseconds(leaseMs))
                #expect(got.map(\.event) == model.claimDue(now: t, limit: limit, leaseMs: leaseMs))
                #expect(got.allSatisfy { $0.leaseExpiresAt == t.adding(milliseconds: leaseMs) })
                for c in got { held[c.id] = c }
                try await check(step, "claim")
            case 45..<60:  // success
                guard let claim = anyHeld() else { continue }
                if pick(3) == 0 {  // a heartbeat first
                    let renewed = try await store.extendLease(claim, by: .milliseconds(leaseMs), now: t)
                    #expect(renewed.token == claim.token && renewed.leaseExpiresAt == t.adding(milliseconds: leaseMs))
                    model.extendLease(claim.id, until: renewed.leaseExpiresAt)
                    try await check(step, "heartbeat")
                }
                let outcome = FinishStatus.allCases[pick(3)]
                let summary: JSONObject = ["createdCount": .number(.integer(Int64(pick(10)))), "outcome": .string(outcome.rawValue)]
                let got = try await store.finish(claim, as: outcome, summary: summary, now: t)
                #expect(got == model.finish(claim.id, outcome, summary, now: t))
                stale.append(claim)
                try await check(step, "success")
            case 60..<72:  // transient or permanent failure
                guard let claim = anyHeld() else { continue }
                let id = claim.id
                stale.append(claim)
                let transient = pick(4) != 0
                let error = "HTTP \(500 + pick(4))"
                var modelRandom = rng
                let unit = modelRandom.nextUnit()
                let got = try await store.fail(claim, error: error, transient: transient, now: t, policy: policy, random: &rng)
                guard case .string(let message) = got.event.summaryJson?["lastError"] else {
                    Issue.record("no lastError")
                    continue
                }
                #expect(got == model.fail(id, message, transient: transient, now: t, policy: policy, unit: unit))
                try await check(step, transient ? "transient failure" : "permanent failure")
            case 72..<77:  // a user retries any event
                guard !model.records.isEmpty else { continue }
                let id = model.records[pick(model.records.count)].event.id
                #expect(try await store.retry(id: id, now: t) == model.retry(id, now: t))
                invalidate(id)
                try await check(step, "user retry")
            case 77..<83:  // a worker crashed: time passes beyond the lease
                now += leaseMs + Int64(pick(60_000))
                let got = try await store.reclaimExpired(now: ms(now), limit: .max, policy: policy)
                #expect(got == model.reclaimExpired(now: ms(now), policy: policy))
                for e in got { invalidate(e.id) }
                try await check(step, "lease expiry")
            case 83..<88:  // a worker whose claim was lost (reclaimed, retried, used) is refused, nothing changes
                if !stale.isEmpty {
                    let claim = stale[pick(stale.count)]
                    var refusal: SyncEventStoreError?
                    do {
                        switch pick(3) {
                        case 0: _ = try await store.finish(claim, as: .completed, summary: nil, now: t)
                        case 1: _ = try await store.extendLease(claim, by: .seconds(60), now: t)
                        default: _ = try await store.fail(claim, error: "x", transient: true, now: t, policy: policy, random: &rng)
                        }
                    } catch { refusal = error }
                    #expect(refusal == .leaseLost(id: claim.id))
                }
                let unknown = f.id(.event)
                await #expect(throws: SyncEventStoreError.notFound(unknown)) { try await store.retry(id: unknown, now: t) }
                try await check(step, "refused")
            case 88..<91:  // a connector instance is removed
                let i = pick(instances.count)
                let inst = instances[i]
                let got = try await store.deleteEvents(ofInstance: inst.instance, in: inst.org)
                for (id, _) in held where model.records.contains(where: { $0.event.id == id && $0.event.connectorInstanceId == inst.instance }) { invalidate(id) }
                #expect(got == model.delete { $0.connectorInstanceId == inst.instance && $0.organizationId == inst.org })
                instances[i].instance = f.id(.connectorInstance)
                try await check(step, "delete instance")
            case 91..<93:  // several instances at once
                let both = [instances[0], instances[2]]
                let got = try await store.deleteEvents(ofInstances: both.map(\.instance), in: both[0].org)
                #expect(got == model.delete { e in both.contains { $0.instance == e.connectorInstanceId && $0.org == e.organizationId } })
                try await check(step, "delete instances")
            case 93..<94:  // an organization leaves
                let org = orgs[pick(2)]
                #expect(try await store.deleteEvents(ofOrganization: org) == model.delete { $0.organizationId == org })
                try await check(step, "delete organization")
            case 94..<97:  // retention
                let cutoff = ms(now - Int64(pick(3_600_000)))
                let keep = pick(3)
                #expect(try await store.prune(olderThan: cutoff, keepingLatest: keep) == model.prune(olderThan: cutoff, keepingLatest: keep))
                try await check(step, "prune")
            default:  // the HTTP layer looks an event up
                guard !model.records.isEmpty else { continue }
                let id = pick(5) == 0 ? f.id(.event) : model.records[pick(model.records.count)].event.id
                let visible = Set(instances.filter { _ in pick(2) == 0 }.map(\.instance))
                for viewer in [Viewer.admin(organization: orgs[0]), .member(organization: orgs[1], visibleInstances: visible)] {
                    #expect(try await store.event(id: id, as: viewer) == model.lookup(id, as: viewer))
                }
                try await check(step, "look-up")
            }
        }
        // The schedule must have exercised every kind of step.
        for kind in ["webhook", "webhook duplicate", "claim", "success", "transient failure", "permanent failure",
                     "user retry", "lease expiry", "refused", "heartbeat", "delete instance", "prune", "look-up"] {
            #expect(counts[kind, default: 0] > 0, "the schedule never ran '\(kind)'")
        }
    }
}

