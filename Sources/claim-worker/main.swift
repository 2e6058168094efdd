// claim-worker: a second process for the two-process claim tests (and a small example of a worker loop).
//
//     claim-worker <store-path> <output-file> <now-ms> [limit]
//
// Opens the LMDB store, claims due events in batches of `limit` (default 20) at the fixed time `now-ms`
// until nothing is due, and writes the claimed ids to `output-file`, one per line.
//
//     claim-worker --lease <store-path> <output-file> <lease-ms> <seed>
//
// A worker on the wall clock with short leases: rescues expired leases, claims, "works" (some jobs
// sleep past their lease, others heartbeat with `extendLease`), then finishes with the claim's token in
// the summary. Writes `finished <id> <token>` or `lost <id> <token>` per claim, and stops once no
// event is queued or running for a while.
//
// Either way it creates `output-file.started` once the store is open.
import Foundation
import SyncEventStore

func open(_ path: String) throws -> SyncEventStore {
    var configuration = Configuration()
    configuration.durability = .relaxed
    configuration.initialMapSize = 64 << 20
    return try SyncEventStore.open(at: path, configuration: configuration)
}

/// Claims at a fixed time until a few rounds in a row find nothing.
func claimAll(_ arguments: [String]) throws {
    guard arguments.count >= 4, let nowMs = Int64(arguments[3]) else { usage() }
    let limit = arguments.count > 4 ? Int(arguments[4]) ?? 20 : 20
    let store = try open(arguments[1])
    // Tell a waiting test that this process is up and about to claim.
    _ = FileManager.default.createFile(atPath: arguments[2] + ".started", contents: nil)
    var out = ""
    var emptyRounds = 0
    // Stop after a few empty rounds so that events made due by the other claimer's lag are not missed.
    while emptyRounds < 3 {
        let claimed = try store.claimDue(now: Timestamp(millisecondsSince1970: nowMs), limit: limit)
        if claimed.isEmpty { emptyRounds += 1 } else { emptyRounds = 0 }
        for c in claimed { out += c.id.description + "\n" }
    }
    store.close()
    try out.write(toFile: arguments[2], atomically: true, encoding: .utf8)
}

/// One job: "works" on the event, then finishes it with the claim's token in the summary.
func process(_ first: Claim, store: SyncEventStore, leaseMs: Int64, random: inout SeededRandomSource) throws -> ClaimToken {
    var claim = first
    switch random.next() % 6 {
    case 0:  // a stuck sync: outlives its lease, so another worker may take the event over
        usleep(UInt32(leaseMs * 3 * 1000))
    case 1:  // a long sync that keeps its lease with heartbeats
        for _ in 0..<3 {
            usleep(UInt32(leaseMs / 2 * 1000))
            claim = try store.extendLease(claim, by: .milliseconds(leaseMs))
        }
    default:
        usleep(UInt32(random.next() % UInt64(leaseMs / 4 * 1000)))
    }
    try store.finish(claim, as: .completed, summary: ["finishedByClaim": .string(claim.token.description)])
    return claim.token
}

/// The worker loop of the lease test.
func work(_ arguments: [String]) throws {
    guard arguments.count >= 6, let leaseMs = Int64(arguments[4]), let seed = UInt64(arguments[5]) else { usage() }
    let store = try open(arguments[2])
    _ = FileManager.default.createFile(atPath: arguments[3] + ".started", contents: nil)
    var random = SeededRandomSource(seed: seed)
    let policy = RetryPolicy(maximumAttempts: 1_000)
    var out = ""
    var idleSince = Date()
    let deadline = Date().addingTimeInterval(120)
    while Date().timeIntervalSince(idleSince) < 0.5, Date() < deadline {
        try store.reclaimExpired(policy: policy)
        let claims = try store.claimDue(limit: 2, lease: .milliseconds(leaseMs))
        if claims.isEmpty {
            usleep(2_000)
            continue
        }
        idleSince = Date()
        for claim in claims {
            do {
                let token = try process(claim, store: store, leaseMs: leaseMs, random: &random)
                out += "finished \(claim.id) \(token)\n"
            } catch SyncEventStoreError.leaseLost(let id) {
                out += "lost \(id) \(claim.token)\n"
            }
        }
        idleSince = Date()
    }
    store.close()
    try out.write(toFile: arguments[3], atomically: true, encoding: .utf8)
}

func usage() -> Never {
    FileHandle.standardError.write(Data("""
        usage: claim-worker <store-path> <output-file> <now-ms> [limit]
               claim-worker --lease <store-path> <output-file> <lease-ms> <seed>

        """.utf8))
    exit(2)
}

do {
    let arguments = CommandLine.arguments
    if arguments.count > 1, arguments[1] == "--lease" { try work(arguments) } else { try claimAll(arguments) }
} catch {
    FileHandle.standardError.write(Data("claim-worker: \(error)\n".utf8))
    exit(1)
}
