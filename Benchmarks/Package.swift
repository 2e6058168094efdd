// swift-tools-version: 6.1
// Benchmarks of SyncEventStore against its strongest ordinary alternative: SQLite (through GRDB) with the
// composite indexes an expert would create, on the same generated data and the same requests, in one run.
// A package of its own so that the library's build stays lean.
//
//   swift package benchmark                          # the whole suite (10k and 100k events)
//   SES_BENCH_1M=1 swift package benchmark           # also 1M events
//   swift package benchmark --filter 'list/status'   # one scenario (a regular expression)
//   swift run -c release WriteSideBenchmark [events] # the older write-side harness
//   swift run -c release ClaimQueueBenchmark         # claimDue at 1k, 100k, 1M queued events vs SQLite
import PackageDescription

let package = Package(
    name: "SyncEventStoreBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "SyncEventStore", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // Datasets, the SQLite peer and the scenarios, shared by the suite and the plain harness.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "SyncEventStore", package: "SyncEventStore"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "StoreVersusSQLite",
            dependencies: [
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/StoreVersusSQLite",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // One list scenario in a loop, for perf or callgrind.
        .executableTarget(name: "ProfileScenario", dependencies: ["BenchSupport"]),
        // claimDue(limit: 10) at 1k, 100k and 1M queued events, store against peer (a plain harness: the 1M
        // setup is too slow for the benchmark plugin's per-benchmark setup).
        .executableTarget(name: "ClaimQueueBenchmark", dependencies: ["BenchSupport"]),
        // Issue 13's skewed data: one organization of 100k and of 5M events, list and q shapes side by side.
        .executableTarget(name: "SkewBenchmark", dependencies: ["BenchSupport"]),
        // The write path against SQLite: concurrent durable enqueuePush, the 1M import, the in-memory build.
        .executableTarget(name: "WriteThroughput", dependencies: ["BenchSupport"]),
        .executableTarget(
            name: "WriteSideBenchmark",
            dependencies: [.product(name: "SyncEventStore", package: "SyncEventStore")]
        ),
    ]
)
