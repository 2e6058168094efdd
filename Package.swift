// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SyncEventStore",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SyncEventStore", targets: ["SyncEventStore"]),
        .library(name: "SyncEventStorePostgres", targets: ["SyncEventStorePostgres"]),
        .executable(name: "syncevents", targets: ["syncevents"]),
        .executable(name: "claim-worker", targets: ["claim-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
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
        .target(
            name: "SyncEventStorePostgres",
            dependencies: [
                "SyncEventStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .executableTarget(
            name: "syncevents",
            dependencies: [
                "SyncEventStore",
                "SyncEventStorePostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "claim-worker",
            dependencies: ["SyncEventStore"]
        ),
        .testTarget(
            name: "SyncEventStoreTests",
            // The CLI tests run the `syncevents` executable; depending on it makes SwiftPM build it first.
            dependencies: ["SyncEventStore", "SyncEventStorePostgres", "syncevents"]
        ),
    ]
)
