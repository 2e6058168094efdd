// The write side at scale, on LMDB (relaxed durability: commits are not fsynced, so the numbers are
// the store's own cost, not the disk's):
//   1. claimDue on a store of N events (default 1,000,000) of which 1,000 are due;
//   2. enqueuePush de-duplication (a duplicate, and a new push) on that store;
//   3. deleting a connector instance that holds 100,000 of the events.
import Foundation
import SyncEventStore

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}
func fmt(_ s: Double) -> String {
    s < 1e-3 ? String(format: "%.1f µs", s * 1e6) : s < 1 ? String(format: "%.2f ms", s * 1e3) : String(format: "%.2f s", s)
}
func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

func run() throws {
    let total = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
    let dueCount = 1_000
    let bigInstanceCount = 100_000
    let targetCount = 10_000
    let now = Timestamp(millisecondsSince1970: 1_767_000_000_000)

    var random = SeededRandomSource(seed: 2026)
    func id(_ p: TypeID.Prefix) -> TypeID { TypeID(prefix: p, high: random.next() >> 3, low: random.next()) }
    func sha() -> String { String(format: "%016llx%016llx%08x", random.next(), random.next(), UInt32(truncatingIfNeeded: random.next())) }

    let directory = NSTemporaryDirectory() + "ses-bench-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = Configuration()
    configuration.durability = .relaxed
    configuration.initialMapSize = 1 << 30
    let store = try SyncEventStore.open(at: directory + "/store", configuration: configuration)
    defer { store.close() }

    let org = id(.organization)
    let bigInstance = id(.connectorInstance)
    let otherInstances = (0..<9).map { _ in id(.connectorInstance) }
    let targets = (0..<targetCount).map { _ in id(.connectorTarget) }
    var knownPushes: [(target: TypeID, sha: String)] = []

    print("seeding \(total) events (\(dueCount) due, \(bigInstanceCount) in one instance)…")
    let seedTime = try seconds {
        var batch: [SyncEvent] = []
        batch.reserveCapacity(10_000)
        for i in 0..<total {
            let due = i % (total / dueCount) == 0
            let target = due ? targets[(i / (total / dueCount)) % targetCount] : targets[Int(random.next() % UInt64(targetCount))]
            let instance = i < bigInstanceCount ? bigInstance : otherInstances[i % otherInstances.count]
            let revision = sha()
            let started = now.millisecondsSince1970 - Int64(total - i) * 1000
            var e = SyncEvent(
                id: id(.event), organizationId: org, connectorInstanceId: instance, connectorTargetId: target,
                remoteId: "acme/repo", eventType: .push, externalEventRef: "delivery-\(i)", sourceRevisionRef: revision,
                status: due ? .queued : .completed, summaryJson: ["createdCount": .number(.integer(Int64(i % 50)))],
                startedAt: Timestamp(millisecondsSince1970: started))
            if !due { e.completedAt = Timestamp(millisecondsSince1970: started + 500) }
            if i % 1000 == 1 { knownPushes.append((target, revision)) }
            batch.append(e)
            if batch.count == 10_000 {
                try store.record(contentsOf: batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try store.record(contentsOf: batch)
    }
    print("  seeded in \(fmt(seedTime)); \(try store.count) events")

    // 1. claimDue: ten claims of 100 take all 1,000 due events; then one claim that finds nothing.
    var claimTimes: [Double] = []
    var claimed: [Claim] = []
    for _ in 0..<10 {
        claimTimes.append(try seconds { claimed += try store.claimDue(now: now, limit: 100) })
    }
    let emptyClaim = try seconds { _ = try store.claimDue(now: now, limit: 100) }
    print("claimDue(limit: 100) with \(dueCount) due of \(total): median \(fmt(median(claimTimes))), max \(fmt(claimTimes.max()!)) per call; \(claimed.count) claimed; a claim that finds nothing due: \(fmt(emptyClaim))")

    // Finish them all, retry them (due again), then claim one at a time.
    var finishTimes: [Double] = []
    var retryTimes: [Double] = []
    for e in claimed {
        finishTimes.append(try seconds { try store.finish(e, as: .completed, summary: ["outcome": .string("completed")], now: now) })
        retryTimes.append(try seconds { try store.retry(id: e.id, now: now) })
    }
    var singleTimes: [Double] = []
    for _ in 0..<500 {
        singleTimes.append(try seconds { let n = try store.claimDue(now: now, limit: 1).count; precondition(n == 1) })
    }
    print("finish median \(fmt(median(finishTimes))), retry median \(fmt(median(retryTimes))); claimDue(limit: 1) with 1,000→500 due: median \(fmt(median(singleTimes)))")

    // 2. enqueuePush de-duplication against 1M events: duplicates (index hit) and new pushes.
    var duplicateTimes: [Double] = []
    for (target, revision) in knownPushes.prefix(1000) {
        duplicateTimes.append(try seconds {
            let r = try store.enqueuePush(target: target, sha: revision, organization: org, instance: otherInstances[0], now: now)
            precondition(!r.wasEnqueued)
        })
    }
    var newTimes: [Double] = []
    for i in 0..<1000 {
        let target = targets[i % targetCount]
        let revision = sha()
        newTimes.append(try seconds {
            let r = try store.enqueuePush(target: target, sha: revision, organization: org, instance: otherInstances[0], now: now)
            precondition(r.wasEnqueued)
        })
    }
    print("enqueuePush at \(total) events: duplicate skipped median \(fmt(median(duplicateTimes))), new push queued median \(fmt(median(newTimes)))")

    // 3. Delete an instance holding 100,000 events (one transaction, every index entry included).
    var removed = 0
    let deleteTime = try seconds { removed = try store.deleteEvents(ofInstance: bigInstance, in: org) }
    print("deleteEvents(ofInstance:) removed \(removed) events in \(fmt(deleteTime)); \(try store.count) left")
    if CommandLine.arguments.contains("--verify") {
        let verifyTime = try seconds { let problems = try store.verifyIndexes(); precondition(problems.isEmpty) }
        print("verifyIndexes over \(try store.count) events: \(fmt(verifyTime))")
    }
}

try run()
