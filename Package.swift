// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SyncEventStore",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SyncEventStore", targets: ["SyncEventStore"]),
        .library(name: "SyncEventStoreHTTP", targets: ["SyncEventStoreHTTP"]),
        .library(name: "SyncEventStoreHummingbird", targets: ["SyncEventStoreHummingbird"]),
        .executable(name: "syncevents", targets: ["syncevents"]),
        .executable(name: "claim-worker", targets: ["claim-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
        .target(
            name: "SyncEventStore",
            dependencies: [
                "CLMDB",
                .product(name: "Crypto", package: "swift-crypto"),
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
        .testTarget(
            name: "SyncEventStoreTests",
            // The CLI tests run the `syncevents` executable; depending on it makes SwiftPM build it first.
            dependencies: ["SyncEventStore", "syncevents"]
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
