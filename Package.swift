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
        .testTarget(
            name: "SyncEventStoreTests",
            // The CLI tests run the `syncevents` executable; depending on it makes SwiftPM build it first.
            dependencies: ["SyncEventStore", "syncevents"]
        ),
    ]
)
