// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SyncEventStore",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SyncEventStore", targets: ["SyncEventStore"]),
        .library(name: "SyncEventStorePostgres", targets: ["SyncEventStorePostgres"]),
        .library(name: "SyncEventStoreHTTP", targets: ["SyncEventStoreHTTP"]),
        .library(name: "SyncEventStoreHummingbird", targets: ["SyncEventStoreHummingbird"]),
        .executable(name: "syncevents", targets: ["syncevents"]),
        .executable(name: "claim-worker", targets: ["claim-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        // CRC-32C with the CPU's instruction: the checksum every stored record ends with.
        .target(name: "CCRC32C"),
        .target(
            name: "SyncEventStore",
            dependencies: [
                "CLMDB",
                "CCRC32C",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SyncEventStorePostgres",
            dependencies: [
                "SyncEventStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // The HTTP face without any server framework: (method, path, query, caller) → response.
        .target(
            name: "SyncEventStoreHTTP",
            dependencies: ["SyncEventStore"],
            resources: [.copy("Resources/connector-sync-events.openapi.yaml")]
        ),
        // The routes mounted on a Hummingbird 2 router.
        .target(
            name: "SyncEventStoreHummingbird",
            dependencies: [
                "SyncEventStoreHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "syncevents",
            dependencies: [
                "SyncEventStore",
                "SyncEventStorePostgres",
                "SyncEventStoreHummingbird",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
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
            dependencies: [
                "SyncEventStore", "SyncEventStorePostgres", "syncevents", "ReliabilitySupport", "reliability-worker",
            ]
        ),
        .testTarget(
            name: "SyncEventStoreHTTPTests",
            dependencies: [
                "SyncEventStoreHTTP",
                "SyncEventStoreHummingbird",
                "syncevents",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
