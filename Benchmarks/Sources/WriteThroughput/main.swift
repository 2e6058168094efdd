// The write path against the SQLite peer (WAL, synchronous=FULL), in one run (issue 11):
//   swift run -c release WriteThroughput                 # everything below, 1M events
//   swift run -c release WriteThroughput enqueue [secs]  # durable enqueuePush with 1, 8, 64 callers
//   swift run -c release WriteThroughput import [events] # durable import of N generated events
//   swift run -c release WriteThroughput memory [events] # in-memory build of N events
// Durable: every LMDB commit is fsynced (data, then meta page); SQLite appends to its WAL and fsyncs.
import BenchSupport
import Foundation
import SyncEventStore

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
func rate(_ n: Int, _ s: Double) -> String { String(format: "%.0f", Double(n) / s) }
func msText(_ s: Double) -> String { String(format: "%.2f ms", s * 1e3) }
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
}
/// CPU seconds (user + system) of the process so far: on a machine shared with other builds, the cost
/// of a run is clearer in CPU time than in wall time.
func cpu() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}
func cpuNote(_ events: Int, _ seconds: Double) -> String {
    String(format: "CPU %.2f s = %.1f µs/event (%.0f events per CPU-second)", seconds, seconds / Double(events) * 1e6, Double(events) / seconds)
}
func loadNote() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)).map { "load average " + $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? ""
}

/// Latencies of one caller, gathered without locks.
final class Latencies: @unchecked Sendable {  // each caller writes its own slot
    var perCaller: [[Double]]
    init(_ callers: Int) { perCaller = Array(repeating: [], count: callers) }
    var all: [Double] { perCaller.flatMap { $0 }.sorted() }
}

/// `callers` concurrent callers of durable enqueuePush for `seconds`: ops/s, p50, p99.
func enqueueLMDB(callers: Int, seconds: Double) async throws -> (Double, [Double]) {
    let path = Scratch.path("enqueue-lmdb")
    let store = try SyncEventStore.open(at: path, configuration: Scratch.durable)
    defer {
        store.close()
        try? FileManager.default.removeItem(atPath: path)
    }
    let org = TypeID.generate(.organization)
    let instance = TypeID.generate(.connectorInstance)
    let latencies = Latencies(callers)
    let start = now()
    let end = start + seconds
    try await withThrowingTaskGroup(of: Void.self) { group in
        for c in 0..<callers {
            group.addTask {
                var i = 0
                while now() < end {
                    let t0 = now()
                    _ = try await store.async.enqueuePush(
                        target: TypeID.generate(.connectorTarget), sha: "c\(c)-\(i)", organization: org, instance: instance,
                        deliveryId: "delivery-\(c)-\(i)")
                    latencies.perCaller[c].append(now() - t0)
                    i += 1
                }
            }
        }
        try await group.waitForAll()
    }
    return (now() - start, latencies.all)
}

func enqueueSQLite(callers: Int, seconds: Double) throws -> (Double, [Double]) {
    let path = Scratch.path("enqueue.sqlite")
    let peer = try SQLitePeer(path: path, fts: false, create: true, durable: true)
    defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
    let org = TypeID.generate(.organization)
    let instance = TypeID.generate(.connectorInstance)
    let latencies = Latencies(callers)
    let start = now()
    let end = start + seconds
    // One thread per caller (not concurrentPerform, which runs as many at once as there are cores).
    let group = DispatchGroup()
    for c in 0..<callers {
        group.enter()
        Thread {
            var i = 0
            while now() < end {
                let t0 = now()
                let e = SyncEvent(
                    id: TypeID.generate(.event), organizationId: org, connectorInstanceId: instance,
                    connectorTargetId: TypeID.generate(.connectorTarget), eventType: .push,
                    externalEventRef: "delivery-\(c)-\(i)", sourceRevisionRef: "c\(c)-\(i)", status: .queued, startedAt: .now)
                try! peer.insert(CollectionOfOne(e), batch: 1)
                latencies.perCaller[c].append(now() - t0)
                i += 1
            }
            group.leave()
        }.start()
    }
    group.wait()
    return (now() - start, latencies.all)
}

func enqueueBenchmark(seconds: Double) async throws {
    print("## durable enqueuePush (\(loadNote()))")
    print("| callers | store ops/s | store p50 | store p99 | SQLite ops/s | SQLite p50 | SQLite p99 | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for callers in [1, 8, 64] {
        let (ls, lat) = try await enqueueLMDB(callers: callers, seconds: seconds)
        let (ss, sat) = try enqueueSQLite(callers: callers, seconds: seconds)
        let lr = Double(lat.count) / ls
        let sr = Double(sat.count) / ss
        print("| \(callers) | \(String(format: "%.0f", lr)) | \(msText(percentile(lat, 0.5))) | \(msText(percentile(lat, 0.99))) | \(String(format: "%.0f", sr)) | \(msText(percentile(sat, 0.5))) | \(msText(percentile(sat, 0.99))) | \(String(format: "%.2f×", lr / sr)) |")
    }
}

func importBenchmark(events: Int, peer withPeer: Bool = true) throws {
    let data = Array(DatasetShape.generator(events: events))
    print("## import of \(events) generated events, every index and the search index (\(loadNote()))")
    let path = Scratch.path("import-lmdb")
    var configuration = Scratch.durable
    configuration.initialMapSize = 1 << 40
    let store = try SyncEventStore.open(at: path, configuration: configuration)
    let t0 = now()
    let c0 = cpu()
    let n = try store.importEvents { importer in
        var k = 0
        while k < data.count {
            let refused = try importer.add(data[k..<min(k + 65_536, data.count)])
            precondition(refused.isEmpty)
            k += 65_536
        }
    }
    let lmdb = now() - t0
    let lmdbCPU = cpu() - c0
    precondition(n == data.count)
    store.close()
    try? FileManager.default.removeItem(atPath: path)
    print("- store (LMDB, one durable transaction): \(String(format: "%.2f", lmdb)) s, \(rate(events, lmdb)) events/s; \(cpuNote(events, lmdbCPU))")
    guard withPeer else { return }

    let sqlitePath = Scratch.path("import.sqlite")
    let peer = try SQLitePeer(path: sqlitePath, fts: false, create: true, durable: true)
    let t1 = now()
    let c1 = cpu()
    try peer.insert(data, batch: 100_000)
    let sqlite = now() - t1
    let sqliteCPU = cpu() - c1
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: sqlitePath + suffix) }
    print("- SQLite peer (indexes in place, transactions of 100,000): \(String(format: "%.2f", sqlite)) s, \(rate(events, sqlite)) events/s; \(cpuNote(events, sqliteCPU))")
    print("- ratio: \(String(format: "%.2f×", sqlite / lmdb)) in wall time, \(String(format: "%.2f×", sqliteCPU / lmdbCPU)) in CPU time")
}

func memoryBenchmark(events: Int) throws {
    let data = Array(DatasetShape.generator(events: events))
    print("## in-memory build of \(events) events (\(loadNote()))")
    let store = SyncEventStore.inMemory()
    let t0 = now()
    let c0 = cpu()
    _ = try store.importEvents { importer in
        var k = 0
        while k < data.count {
            _ = try importer.add(data[k..<min(k + 65_536, data.count)])
            k += 65_536
        }
    }
    let took = now() - t0
    let tookCPU = cpu() - c0
    print("- importEvents: \(String(format: "%.2f", took)) s, \(rate(events, took)) events/s; \(cpuNote(events, tookCPU))")
    let other = SyncEventStore.inMemory()
    let t1 = now()
    var k = 0
    while k < data.count {
        try other.record(contentsOf: data[k..<min(k + 10_000, data.count)])
        k += 10_000
    }
    let batched = now() - t1
    print("- record(contentsOf:) in batches of 10,000: \(String(format: "%.2f", batched)) s, \(rate(events, batched)) events/s")
}

let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "all"
let number = args.count > 2 ? Double(args[2]) : nil
switch mode {
case "enqueue": try await enqueueBenchmark(seconds: number ?? 5)
case "import": try importBenchmark(events: Int(number ?? 1_000_000))
case "import-store": try importBenchmark(events: Int(number ?? 1_000_000), peer: false)
case "memory": try memoryBenchmark(events: Int(number ?? 1_000_000))
default:
    try await enqueueBenchmark(seconds: 5)
    try importBenchmark(events: 1_000_000)
    try memoryBenchmark(events: 1_000_000)
}
