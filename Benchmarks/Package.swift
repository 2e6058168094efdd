// swift-tools-version: 6.1
// Benchmarks of SyncEventStore, a package of their own so that the library's build stays lean.
// Run from this directory: `swift run -c release WriteSideBenchmark [events]`.
import PackageDescription

let package = Package(
    name: "SyncEventStoreBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "SyncEventStore", path: "..")],
    targets: [
        .executableTarget(
            name: "WriteSideBenchmark",
            dependencies: [.product(name: "SyncEventStore", package: "SyncEventStore")]
        )
    ]
)
