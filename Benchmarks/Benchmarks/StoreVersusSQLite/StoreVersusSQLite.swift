// SyncEventStore (LMDB and in-memory) against SQLite with expert indexes (GRDB), same data, same requests,
// same run. Names are `<scenario> <size> <engine>`; `swift package benchmark --filter 'q.absent 1M'` runs one.
//
// Sizes: 10k and 100k events; 1M too when SES_BENCH_1M=1 (its datasets take a few minutes to build once,
// then come from Benchmarks/.cache/). SES_BENCH_SIZES=10000,1000000 picks the sizes exactly.
import BenchSupport
import Benchmark
import Foundation
import SyncEventStore

let sizes: [Int] = {
    let env = ProcessInfo.processInfo.environment
    if let list = env["SES_BENCH_SIZES"] { return list.split(separator: ",").compactMap { Int($0) } }
    return env["SES_BENCH_1M"] == "1" ? [10_000, 100_000, 1_000_000] : [10_000, 100_000]
}()

let memoryAtOneMillion = ProcessInfo.processInfo.environment["SES_BENCH_MEMORY_1M"] == "1"

func configuration(maxDuration: Duration = .seconds(1), maxIterations: Int = 20_000, warmup: Int = 3) -> Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .throughput], timeUnits: .microseconds, warmupIterations: warmup, scalingFactor: .one,
        maxDuration: maxDuration, maxIterations: maxIterations)
}

/// State made by a benchmark's setup and used by its closure (one benchmark runs at a time).
final class Slot<T>: @unchecked Sendable {
    var value: T?
}

let benchmarks: @Sendable () -> Void = {
    for size in sizes {
        let label = DatasetShape.label(size)

        // Pages of 50 for each filter shape and each `q`, on every engine; checked against the other side first.
        for scenario in ListScenario.all {
            // Each benchmark runs in a process of its own, so the in-memory store is built again for each;
            // at 1M that takes minutes, so it is opt-in there (SES_BENCH_MEMORY_1M=1).
            for engine in scenario.engines where engine != .memory || size < 1_000_000 || memoryAtOneMillion {
                let slot = Slot<PreparedList>()
                let slow = scenario.isSearch && (engine == .sqlite || engine == .sqliteFTS5)
                Benchmark(
                    "\(scenario.name) \(label) \(engine.rawValue)",
                    configuration: configuration(maxDuration: .seconds(slow ? 2 : 1), maxIterations: slow ? 200 : 20_000),
                    closure: { benchmark in
                        let run = slot.value!.run
                        for _ in benchmark.scaledIterations { blackHole(run()) }
                    },
                    setup: { slot.value = scenario.prepare(engine, on: Dataset.load(size)) },
                    teardown: { slot.value = nil })
            }
        }

        // claimDue(limit: 10) on a scratch copy, store against peer (first claims compared).
        for engine in [Engine.lmdb, .sqlite] {
            let slot = Slot<ClaimScenario>()
            Benchmark(
                "claimDue \(label) \(engine.rawValue)",
                configuration: configuration(maxIterations: 200),
                closure: { benchmark in
                    for _ in benchmark.scaledIterations { blackHole(try! slot.value!.claim()) }
                },
                setup: { slot.value = try ClaimScenario(engine, on: Dataset.load(size)) },
                teardown: { slot.value = nil })
        }

        // The full 200 body of 50 events already in memory.
        let encode = Slot<EncodeScenario>()
        Benchmark(
            "encode.page50 \(label) store", configuration: configuration(),
            closure: { benchmark in for _ in benchmark.scaledIterations { blackHole(encode.value!.store()) } },
            setup: { encode.value = EncodeScenario(Dataset.load(size)) })
        Benchmark(
            "encode.page50 \(label) foundation", configuration: configuration(),
            closure: { benchmark in for _ in benchmark.scaledIterations { blackHole(encode.value!.foundation()) } },
            setup: { encode.value = EncodeScenario(Dataset.load(size)) })
    }

    // Batch import of 100k events into an empty store, durable commits of 10,000.
    for engine in Engine.allCases {
        Benchmark(
            "import.100k - \(engine.rawValue)",
            configuration: configuration(maxDuration: .seconds(8), maxIterations: 5, warmup: 1),
            closure: { benchmark in
                // Events generated once in setup; the time includes creating and removing the empty store.
                for _ in benchmark.scaledIterations { blackHole(try! ImportScenario.run(engine)) }
            },
            setup: { _ = ImportScenario.data.count })
    }

    // Single durable inserts (each commit fsynced; SQLite in WAL mode, synchronous=FULL).
    for engine in [Engine.lmdb, .sqlite, .sqliteFTS5] {
        let slot = Slot<InsertScenario>()
        Benchmark(
            "insert.durable - \(engine.rawValue)",
            configuration: configuration(maxDuration: .seconds(2), maxIterations: 2000),
            closure: { benchmark in
                for _ in benchmark.scaledIterations { try! slot.value!.insertOne() }
            },
            setup: { slot.value = try InsertScenario(engine) },
            teardown: { slot.value = nil })
    }
}
