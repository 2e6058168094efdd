// claim-worker: a second process for the two-process claim test (and a tiny example of a worker loop).
//
//     claim-worker <store-path> <output-file> <now-ms> [limit]
//
// Opens the LMDB store, claims due events in batches of `limit` (default 20) at the fixed time `now-ms`
// until nothing is due, and writes the claimed ids to `output-file`, one per line. It creates
// `output-file.started` once the store is open.
import Foundation
import SyncEventStore

let arguments = CommandLine.arguments
guard arguments.count >= 4, let nowMs = Int64(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: claim-worker <store-path> <output-file> <now-ms> [limit]\n".utf8))
    exit(2)
}
let limit = arguments.count > 4 ? Int(arguments[4]) ?? 20 : 20
do {
    var configuration = Configuration()
    configuration.durability = .relaxed
    configuration.initialMapSize = 64 << 20
    let store = try SyncEventStore.open(at: arguments[1], configuration: configuration)
    // Tell a waiting test that this process is up and about to claim.
    _ = FileManager.default.createFile(atPath: arguments[2] + ".started", contents: nil)
    var out = ""
    var emptyRounds = 0
    // Stop after a few empty rounds so that events made due by the other claimer's lag are not missed.
    while emptyRounds < 3 {
        let claimed = try store.claimDue(now: Timestamp(millisecondsSince1970: nowMs), limit: limit)
        if claimed.isEmpty { emptyRounds += 1 } else { emptyRounds = 0 }
        for e in claimed { out += e.id.description + "\n" }
    }
    store.close()
    try out.write(toFile: arguments[2], atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("claim-worker: \(error)\n".utf8))
    exit(1)
}
