// Runs one list scenario of the suite in a loop, for a profiler (perf record, valgrind --tool=callgrind):
//   swift build -c release --product ProfileScenario
//   perf record -e cpu-clock -g .build/release/ProfileScenario list.instance 1000000 lmdb 10
// Or `ProfileScenario import lmdb`: the 100k import once.
// Arguments: scenario name, dataset size, engine (lmdb, memory, sqlite, sqlite-fts5), seconds or `xN` iterations.
import BenchSupport
import Foundation

let args = CommandLine.arguments
// `ProfileScenario import <lmdb|memory|sqlite|sqlite-fts5>`: the 100k batch import once.
if args.count == 3, args[1] == "import", let engine = Engine(rawValue: args[2]) {
    _ = ImportScenario.data.count
    let took = try ImportScenario.run(engine)
    print("import.100k \(engine.rawValue): \(took)")
    exit(0)
}
guard args.count >= 4, let scenario = ListScenario.all.first(where: { $0.name == args[1] }), let size = Int(args[2]),
    let engine = Engine(rawValue: args[3])
else {
    print("usage: ProfileScenario <scenario> <events> <engine> [seconds | xITERATIONS]")
    print("scenarios: " + ListScenario.all.map(\.name).joined(separator: ", "))
    exit(2)
}
let dataset = Dataset.load(size)
let prepared = scenario.prepare(engine, on: dataset)
let limit = args.count > 4 ? args[4] : "5"
var iterations = 0
var bytes = 0
let clock = ContinuousClock()
let start = clock.now
if limit.hasPrefix("x"), let n = Int(limit.dropFirst()) {
    for _ in 0..<n { bytes &+= prepared.run() }
    iterations = n
} else {
    let end = start + .seconds(Double(limit) ?? 5)
    while clock.now < end {
        for _ in 0..<10 { bytes &+= prepared.run() }
        iterations += 10
    }
}
let elapsed = clock.now - start
let each = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
print("\(scenario.name) \(DatasetShape.label(size)) \(engine.rawValue): \(iterations) runs, mean \(String(format: "%.1f", each / Double(iterations))) µs (\(bytes / max(1, iterations)) body bytes)")
