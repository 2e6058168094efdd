// Issue 13's skewed data: one organization of N events (default 100k and 5M), one instance holding 90 % of
// them, `q` needles at 0.1 %, 1 %, 10 % and 50 % density and a 12-hex SHA prefix, members seeing 1, 20,
// 200 and all 400 instances, rare and common statuses. Prints p50 / p99 per shape and size, and the ratio
// of the largest size to the smallest (the target: ≤ 1.5×).
//
//     swift run -c release SkewBenchmark [sizes…]      # default: 100000 5000000
//
// Stores are built once into .build/skew-<N> (5M takes ~12 GB and several minutes) and reused.
// SKEW_REPEAT sets the runs per shape (default 200); SKEW_ONLY=<text> runs only the shapes whose name
// contains it (for a profiler).
import BenchSupport
import Foundation
import SyncEventStore

let sizes = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let repeatCount = ProcessInfo.processInfo.environment["SKEW_REPEAT"].flatMap { Int($0) } ?? 200
let onlyShapes = ProcessInfo.processInfo.environment["SKEW_ONLY"]
let instanceCount = 400

/// What the shapes need to know about a generated store.
struct Facts: Codable {
    var organization: String
    var instances: [String]
    var hotInstance: String
    var sha12: String
    var statusCounts: [String: Int]
}

/// Needles at a known density: event `i` carries each with the probability in its name, drawn from
/// independent bits of a hash of `i`, appended to its `externalEventRef` (the field `q` searches).
let needles: [(token: String, perMille: UInt64, bits: UInt64)] = [
    ("dkfifty", 500, 0), ("dkten", 100, 16), ("dkone", 10, 32), ("dkpermille", 1, 48),
]

func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

func build(_ n: Int, at path: String) throws -> Facts {
    var generator = EventGenerator(EventGenerator.Configuration(
        events: n, organizations: 1, instances: instanceCount, targets: 4_000, seed: 13))
    let instances = generator.instances.map(\.id)
    let hot = instances[0]
    var statusCounts: [String: Int] = [:]
    var sha12 = ""
    let store = try SyncEventStore.open(at: path)
    defer { store.close() }
    var produced = 0
    let clock = ContinuousClock()
    let started = clock.now
    _ = try store.importEvents { importer in
        var batch: [SyncEvent] = []
        batch.reserveCapacity(65_536)
        while var event = generator.next() {
            let h = mix(UInt64(produced))
            if h % 10 != 0 { event.connectorInstanceId = hot }
            var ref = event.externalEventRef ?? ""
            for needle in needles where ((h >> needle.bits) & 0xFFFF) % 1000 < needle.perMille {
                ref += " " + needle.token
            }
            event.externalEventRef = ref
            statusCounts[event.status.rawValue, default: 0] += 1
            if sha12.isEmpty, produced >= n / 2, let rev = event.sourceRevisionRef, rev.count >= 12 {
                sha12 = String(rev.prefix(12))
            }
            batch.append(event)
            produced += 1
            if batch.count == 65_536 {
                let refused = try importer.add(batch)
                precondition(refused.isEmpty, "refused \(refused.count) events")
                batch.removeAll(keepingCapacity: true)
                if produced % 524_288 == 0 { print("  \(produced) of \(n) imported, \(clock.now - started)") }
            }
        }
        let refused = try importer.add(batch)
        precondition(refused.isEmpty, "refused \(refused.count) events")
    }
    return Facts(
        organization: generator.organizations[0].description, instances: instances.map(\.description),
        hotInstance: hot.description, sha12: sha12, statusCounts: statusCounts)
}

func percentile(_ xs: [Double], _ p: Double) -> Double { xs.sorted()[min(xs.count - 1, Int(Double(xs.count) * p))] }
func fmt(_ s: Double) -> String { s < 1e-3 ? String(format: "%.1f µs", s * 1e6) : String(format: "%.2f ms", s * 1e3) }
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

struct Shape {
    var name: String
    var viewer: Viewer
    var query: String
}

func shapes(_ facts: Facts) -> [Shape] {
    let org = TypeID.parse(facts.organization, prefix: .organization)!
    let instances = facts.instances.map { TypeID.parse($0, prefix: .connectorInstance)! }
    let admin = Viewer.admin(organization: org)
    func member(_ ids: [TypeID]) -> Viewer { .member(organization: org, visibleInstances: Set(ids)) }
    let byCount = facts.statusCounts.sorted { $0.value < $1.value }
    let rare = byCount.first!.key, common = byCount.last!.key
    let cold = instances[7]
    var list: [Shape] = [
        Shape(name: "noFilter", viewer: admin, query: ""),
        Shape(name: "instance.hot (90 %)", viewer: admin, query: "connectorInstanceId=\(facts.hotInstance)"),
        Shape(name: "instance.cold", viewer: admin, query: "connectorInstanceId=\(cold)"),
        Shape(name: "status.rare (\(rare))", viewer: admin, query: "status=\(rare)"),
        Shape(name: "status.common (\(common))", viewer: admin, query: "status=\(common)"),
        Shape(name: "instance.hot + status.rare", viewer: admin, query: "connectorInstanceId=\(facts.hotInstance)&status=\(rare)"),
        Shape(name: "member.1 (cold)", viewer: member([cold]), query: ""),
        Shape(name: "member.20 (with hot)", viewer: member(Array(instances.prefix(20))), query: ""),
        Shape(name: "member.20 (cold)", viewer: member(Array(instances[1...20])), query: ""),
        Shape(name: "member.200", viewer: member(Array(instances.prefix(200))), query: ""),
        Shape(name: "member.all", viewer: member(instances), query: ""),
        Shape(name: "member.20 (cold) + status.rare", viewer: member(Array(instances[1...20])), query: "status=\(rare)"),
    ]
    for needle in needles {
        list.append(Shape(name: "q \(Double(needle.perMille) / 10) %", viewer: admin, query: "q=\(needle.token)"))
    }
    list.append(Shape(name: "q 12-hex SHA prefix", viewer: admin, query: "q=\(facts.sha12)"))
    list.append(Shape(name: "q matching nothing", viewer: admin, query: "q=zzqqxxjj"))
    return list
}

// Every store is opened first; then each shape runs on the sizes in turn, one request at a time, so that
// machine drift and a cold page cache weigh on every size alike (the ratios are what the target is about).
struct Opened {
    let n: Int
    let store: SyncEventStore
    let shapes: [Shape]
    var samples: [[Double]]
    var items: [Int]
}
var opened: [Opened] = []
for n in sizes.isEmpty ? [100_000, 5_000_000] : sizes {
    let path = FileManager.default.currentDirectoryPath + "/.build/skew-\(n)"
    let factsPath = path + "/facts.json"
    let facts: Facts
    if let data = FileManager.default.contents(atPath: factsPath), let cached = try? JSONDecoder().decode(Facts.self, from: data) {
        facts = cached
    } else {
        try? FileManager.default.removeItem(atPath: path)
        print("building \(path) (\(n) events, once)")
        facts = try build(n, at: path)
        try JSONEncoder().encode(facts).write(to: URL(fileURLWithPath: factsPath))
    }
    let list = shapes(facts).filter { shape in onlyShapes.map { shape.name.contains($0) } ?? true }
    opened.append(Opened(
        n: n, store: try SyncEventStore.open(at: path), shapes: list,
        samples: Array(repeating: [], count: list.count), items: Array(repeating: 0, count: list.count)))
}
let order = opened[0].shapes.map(\.name)
let clock = ContinuousClock()
for k in order.indices {
    let queries = opened.map { URLQueryDecoding.decode($0.shapes[k].query) }
    // Warm-up: pages the shape's data into the cache on every size.
    for _ in 0..<20 {
        for s in opened.indices { _ = try opened[s].store.listResponse(query: queries[s], as: opened[s].shapes[k].viewer) }
    }
    for _ in 0..<repeatCount {
        for s in opened.indices {
            var response: ListResponse?
            let took = seconds(try clock.measure {
                response = try opened[s].store.listResponse(query: queries[s], as: opened[s].shapes[k].viewer)
            })
            precondition(response?.status == 200, "\(order[k]): \(String(decoding: response?.body ?? [], as: UTF8.self))")
            opened[s].samples[k].append(took)
            opened[s].items[k] = response?.itemCount ?? 0
        }
    }
}
for o in opened { o.store.close() }
let results = opened.map { o in
    (n: o.n, times: Dictionary(uniqueKeysWithValues: order.indices.map { k in
        (order[k], (p50: percentile(o.samples[k], 0.5), p99: percentile(o.samples[k], 0.99), items: o.items[k]))
    }))
}

print("\n\(repeatCount) runs per shape, p50 / p99 (items on the page)\n")
print("| shape | " + results.map { "\($0.n) events" }.joined(separator: " | ") + (results.count > 1 ? " | largest / smallest (p50) |" : " |"))
print("|---|" + results.map { _ in "---|" }.joined() + (results.count > 1 ? "---|" : ""))
for name in order {
    var row = "| \(name) |"
    for r in results {
        let t = r.times[name]!
        row += " \(fmt(t.p50)) / \(fmt(t.p99)) (\(t.items)) |"
    }
    if let first = results.first?.times[name], let last = results.last?.times[name], results.count > 1 {
        row += String(format: " %.2f× |", last.p50 / first.p50)
    }
    print(row)
}
