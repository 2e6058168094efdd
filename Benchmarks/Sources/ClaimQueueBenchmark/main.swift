// claimDue(limit: 10) as the queue grows: 1k, 100k and 1M queued due events, the store (LMDB) against
// the SQLite peer (BenchSupport/Peer), both with relaxed durability (no fsync: the claim's own cost).
// Each claim is timed whole and with its commit excluded (the issue's measure: the store's
// `commitStatistics`, the peer's `COMMIT` statement), and both are printed.
//
//     swift run -c release ClaimQueueBenchmark [sizes…]      # default: 1000 100000 1000000
//
// The queue after a mass resync: the oldest 10 % of the queued events belong to 100 targets that each
// have a `running` event (blocked: a claim must pass over them), the rest alternate between events
// without a target and events with a target of their own. Each round claims 10 events and then finishes
// them (not timed), as workers do (up to 300 rounds: 89 when 1k is among the sizes); the first claims of the store and the peer are compared.
import BenchSupport
import Foundation
import SyncEventStore

// At most (1k: 89, the claimable events run out); CLAIM_BENCH_ROUNDS sets another bound (for profiles).
let rounds = ProcessInfo.processInfo.environment["CLAIM_BENCH_ROUNDS"].flatMap { Int($0) } ?? 300
// CLAIM_BENCH_STORE_ONLY=1 leaves the peer out of the rounds (to profile the store alone).
let storeOnly = ProcessInfo.processInfo.environment["CLAIM_BENCH_STORE_ONLY"] == "1"
// Event ids: `time` (default) makes them as the store and the reference service do, UUIDv7 of the
// event's `startedAt` (ids of events queued together sit together); `random` draws all 128 bits, so the
// records of consecutive claims are scattered over the whole store (the worst case).
let idMode = ProcessInfo.processInfo.environment["CLAIM_BENCH_IDS"] ?? "time"
precondition(idMode == "time" || idMode == "random", "CLAIM_BENCH_IDS is time or random")
let limit = 10
// CLAIM_BENCH_NO_TARGETS=1 gives no event a target of its own (only the blocked 10 % keep theirs): what the
// per-target entries of the claimed events cost.
let noTargets = ProcessInfo.processInfo.environment["CLAIM_BENCH_NO_TARGETS"] == "1"
let now = Timestamp(millisecondsSince1970: 1_767_000_000_000)

func seed(_ n: Int, into store: SyncEventStore, peer: SQLitePeer) throws {
    var random = SeededRandomSource(seed: UInt64(n))
    func id(_ p: TypeID.Prefix) -> TypeID { TypeID(prefix: p, high: random.next() >> 3, low: random.next()) }
    func eventID(_ startedAt: Timestamp) -> TypeID {
        idMode == "random" ? id(.event) : TypeID.generate(.event, now: startedAt, random: &random)
    }
    let org = id(.organization)
    let instances = (0..<10).map { _ in id(.connectorInstance) }
    let busy = (0..<100).map { _ in id(.connectorTarget) }
    var events: [SyncEvent] = []
    events.reserveCapacity(n + busy.count)
    for (k, target) in busy.enumerated() {
        let startedAt = Timestamp(millisecondsSince1970: now.millisecondsSince1970 - 1)
        events.append(SyncEvent(
            id: eventID(startedAt), organizationId: org, connectorInstanceId: instances[k % 10], connectorTargetId: target,
            eventType: .push, status: .running, startedAt: startedAt))
    }
    let blocked = n / 10
    for i in 0..<n {
        let target: TypeID? = i < blocked ? busy[i % busy.count] : (i % 2 == 0 || noTargets ? nil : id(.connectorTarget))
        let startedAt = Timestamp(millisecondsSince1970: now.millisecondsSince1970 - 86_400_000 + Int64(i))
        events.append(SyncEvent(
            id: eventID(startedAt), organizationId: org, connectorInstanceId: instances[i % 10], connectorTargetId: target,
            eventType: target == nil ? .manualResync : .push, status: .queued,
            summaryJson: ["trigger": .string("resync")], startedAt: startedAt))
    }
    // The store takes the backlog through its bulk path (one transaction, the queue's indexes built
    // with the rest), the peer in transactions of 100,000 rows: seeding is not what is measured, and
    // record-by-record seeding made 1M take longer than a session.
    _ = try store.importEvents { importer in
        var start = 0
        while start < events.count {
            let end = min(start + 65_536, events.count)
            let refused = try importer.add(Array(events[start..<end]))
            precondition(refused.isEmpty, "the seed refused \(refused.count) events")
            start = end
        }
    }
    try peer.insert(events, batch: 100_000)
}

func percentile(_ xs: [Double], _ p: Double) -> Double { xs.sorted()[min(xs.count - 1, Int(Double(xs.count) * p))] }
func fmt(_ s: Double) -> String { s < 1e-3 ? String(format: "%.1f µs", s * 1e6) : String(format: "%.2f ms", s * 1e3) }

// Every size is seeded first, then the rounds go round-robin over the sizes, so that machine load
// weighs on every size alike (the ratios between sizes are what the targets are about).
let sizes = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let clock = ContinuousClock()
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
struct Setup {
    let n: Int
    let directory: String
    let store: SyncEventStore
    let peer: SQLitePeer
    var storeTimes: [Double] = []
    var peerTimes: [Double] = []
    /// The same claims with their commit's time taken out.
    var storeWork: [Double] = []
    var peerWork: [Double] = []
    /// Bytes each claim's commit wrote (its dirty pages and the meta page), from `/proc/self/io`.
    var storeBytesWritten: [Int] = []
}

/// Bytes this process has passed to `write`-family calls so far (`wchar` of `/proc/self/io`; 0 where that
/// file does not exist).
func bytesWrittenSoFar() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
        return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
    }
    return 0
}
var setups: [Setup] = []
for n in sizes.isEmpty ? [1_000, 100_000, 1_000_000] : sizes {
    let directory = NSTemporaryDirectory() + "ses-claim-bench-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var configuration = Configuration()
    configuration.durability = .relaxed
    configuration.initialMapSize = 1 << 30
    let store = try SyncEventStore.open(at: directory + "/store", configuration: configuration)
    let peer = try SQLitePeer(path: directory + "/peer.sqlite", fts: false, create: true, durable: false)
    let seedTime = try clock.measure { try seed(n, into: store, peer: peer) }
    print("\(n) queued: seeded both in \(seedTime)")
    setups.append(Setup(n: n, directory: directory, store: store, peer: peer))
}
let roundCount = min(rounds, setups.map { ($0.n - $0.n / 10) / limit - 1 }.min() ?? 0)  // never past the claimable events
for round in 0..<roundCount {
    for k in setups.indices {
        var claims: [Claim] = []
        var ids: [String] = []
        let (store, peer) = (setups[k].store, setups[k].peer)
        let committed = store.commitStatistics.commitTime
        let written = bytesWrittenSoFar()
        let storeTime = seconds(try clock.measure { claims = try store.claimDue(now: now, limit: limit) })
        setups[k].storeBytesWritten.append(bytesWrittenSoFar() - written)
        setups[k].storeTimes.append(storeTime)
        setups[k].storeWork.append(storeTime - seconds(store.commitStatistics.commitTime - committed))
        if storeOnly && round > 0 {
            precondition(claims.count == limit, "the queue ran dry")
            for c in claims { try store.finish(c, as: .completed, now: now) }
            continue
        }
        var peerCommit = Duration.zero
        let peerTime = seconds(try clock.measure { (ids, peerCommit) = try peer.claimDueTimingCommit(now: now, limit: limit) })
        setups[k].peerTimes.append(peerTime)
        setups[k].peerWork.append(peerTime - seconds(peerCommit))
        precondition(claims.count == limit && ids.count == limit, "the queue ran dry")
        if round == 0 {
            precondition(claims.map(\.id.description) == ids, "store and peer claim different events")
        }
        for c in claims { try store.finish(c, as: .completed, now: now) }
        try peer.finish(ids)
    }
}
print("\(roundCount) rounds per size, \(idMode) event ids\(storeOnly ? ", the store alone" : "")")
@MainActor func table(_ title: String, store: KeyPath<Setup, [Double]>, peer: KeyPath<Setup, [Double]>) {
    print("\n\(title)\n\n| queued due events | store p50 / p90 | SQLite peer p50 / p90 | peer / store (p50) |\n|---|---|---|---|")
    for r in setups {
        let s = percentile(r[keyPath: store], 0.5)
        guard !storeOnly else {  // the peer ran its first claim only (the comparison of claimed ids)
            print("| \(r.n) | \(fmt(s)) / \(fmt(percentile(r[keyPath: store], 0.9))) | – | – |")
            continue
        }
        let p = percentile(r[keyPath: peer], 0.5)
        print("| \(r.n) | \(fmt(s)) / \(fmt(percentile(r[keyPath: store], 0.9))) | \(fmt(p)) / \(fmt(percentile(r[keyPath: peer], 0.9))) | \(String(format: "%.1f×", p / s)) |")
    }
    if let first = setups.first, let last = setups.last, setups.count > 1 {
        let ratio = percentile(last[keyPath: store], 0.5) / percentile(first[keyPath: store], 0.5)
        print(String(format: "\nstore p50 at %d / at %d: %.2f×", last.n, first.n, ratio))
    }
}
table("Whole claim, commit included:", store: \.storeTimes, peer: \.peerTimes)
table("Commit excluded (the claim's work inside its transaction):", store: \.storeWork, peer: \.peerWork)
print("\nPages each claim's commit wrote (mean; 4 KiB pages, meta page included):")
for s in setups where !s.storeBytesWritten.isEmpty {
    let mean = Double(s.storeBytesWritten.reduce(0, +)) / Double(s.storeBytesWritten.count) / 4096
    print(String(format: "%d queued: %.1f pages", s.n, mean))
}
for s in setups {
    s.store.close()
    try? FileManager.default.removeItem(atPath: s.directory)
}
