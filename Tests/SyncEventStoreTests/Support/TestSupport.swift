import Foundation
import Synchronization
import Testing
@testable import SyncEventStore

/// The two storage backends every store test runs on.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case lmdb
    case memory
    var testDescription: String { rawValue }
}

/// A fresh temporary directory per test; removed when the value is released.
final class TemporaryDirectory: @unchecked Sendable {  // immutable after init
    let path: String
    init() {
        path = NSTemporaryDirectory() + "ses-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func sub(_ name: String) -> String { path + "/" + name }
}

/// Opens a store of the given backend in its own temporary directory.
func makeStore(_ backend: Backend, _ dir: TemporaryDirectory, configuration: Configuration = Configuration()) throws
    -> SyncEventStore
{
    switch backend {
    case .lmdb: return try SyncEventStore.open(at: dir.sub("store"), configuration: configuration)
    case .memory: return SyncEventStore.inMemory(configuration: configuration)
    }
}

/// Seeded, reproducible test data.
struct Fixtures {
    var random: SeededRandomSource
    init(seed: UInt64) { random = SeededRandomSource(seed: seed) }

    mutating func id(_ prefix: TypeID.Prefix) -> TypeID {
        TypeID(prefix: prefix, high: random.next() >> 3, low: random.next())
    }

    mutating func event(
        org: TypeID, instance: TypeID, target: TypeID? = nil, startedAt: Int64 = 1_767_000_000_000,
        status: EventStatus = .completed, eventType: EventType = .push
    ) -> SyncEvent {
        SyncEvent(
            id: id(.event), organizationId: org, connectorInstanceId: instance, connectorTargetId: target,
            remoteId: "acme/repo", eventType: eventType, externalEventRef: "delivery-\(random.next() % 1000)",
            sourceRevisionRef: String(random.next(), radix: 16), status: status,
            summaryJson: ["createdCount": .number(.integer(Int64(random.next() % 100)))],
            startedAt: Timestamp(millisecondsSince1970: startedAt), completedAt: nil, attemptCount: 0)
    }
}

/// A thread-safe counter for concurrency tests.
final class Counter: Sendable {
    private let storage = Atomic<Int>(0)
    func increment() { storage.add(1, ordering: .relaxed) }
    var value: Int { storage.load(ordering: .relaxed) }
}

/// A thread-safe flag for concurrency tests.
final class Flag: Sendable {
    private let storage = Atomic<Bool>(false)
    func set() { storage.store(true, ordering: .relaxed) }
    var value: Bool { storage.load(ordering: .relaxed) }
}
