// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SyncEventStore",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SyncEventStore", targets: ["SyncEventStore"]),
        .executable(name: "syncevents", targets: ["syncevents"]),
        .executable(name: "claim-worker", targets: ["claim-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(
            name: "SyncEventStore",
            dependencies: [
                "CLMDB",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "syncevents",
            dependencies: [
                "SyncEventStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "claim-worker",
            dependencies: ["SyncEventStore"]
        ),
        // The reliability suites (RELIABILITY.md): the workloads and the child processes that run them.
        .target(
            name: "ReliabilitySupport",
            dependencies: ["SyncEventStore"]
        ),
        .executableTarget(
            name: "reliability-worker",
            dependencies: ["SyncEventStore", "ReliabilitySupport"]
        ),
        // The libFuzzer targets (scripts/fuzz.sh); in an ordinary build, a tool that replays inputs.
        .executableTarget(
            name: "fuzz-inputs",
            dependencies: ["SyncEventStore"]
        ),
        .testTarget(
            name: "SyncEventStoreTests",
            // The CLI and reliability tests run `syncevents` and `reliability-worker`; depending on them
            // makes SwiftPM build them first.
            dependencies: ["SyncEventStore", "syncevents", "ReliabilitySupport", "reliability-worker"]
        ),
    ]
)
