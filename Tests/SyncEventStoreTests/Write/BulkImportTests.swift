import Foundation
import Testing
@testable import SyncEventStore

/// The bulk path: `importEvents` (one transaction, all or nothing) and `insertNewRecords` (arena,
/// sorted puts) against the one-record-at-a-time path.
@Suite("Bulk import")
struct BulkImportTests {
    static func events(_ n: Int, seed: UInt64) -> [SyncEvent] {
        Array(EventGenerator(EventGenerator.Configuration(events: n, organizations: 3, instances: 12, targets: 60, seed: seed)))
    }

    @Test(arguments: Backend.allCases)
    func anImportInManyFlushesEqualsRecordsWrittenOneByOne(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        let model = SyncEventStore.inMemory()
        defer { model.close() }
        let first = Self.events(300, seed: 1)
        let second = Self.events(1200, seed: 2)
        // Stored before: the import's containers and seqs continue after them.
        try store.record(contentsOf: first)
        for e in first { try model.record(e) }
        let imported = try store.importEvents(flushThreshold: 97) { importer in
            var k = 0
            while k < second.count {
                let refused = try importer.add(second[k..<min(k + 250, second.count)])
                #expect(refused.isEmpty)
                k += 250
            }
        }
        #expect(imported == second.count)
        for e in second { try model.record(e) }
        #expect(try store.allRecords().map(\.event) == model.allRecords().map(\.event))
        #expect(try store.verifyIndexes().isEmpty)
        // Reads through every index agree with the one-by-one store.
        for org in Set(second.map(\.organizationId)) {
            for query in ["", "status=failed", "eventType=push", "q=a", "q=manual", "limit=7"] {
                let items = URLQueryDecoding.decode(query)
                // Cursors differ (each store has its own secret): compare the items.
                func page(_ s: SyncEventStore) throws -> Substring {
                    let body = String(decoding: try s.listResponse(query: items, as: .admin(organization: org)).body, as: UTF8.self)
                    return body.prefix { $0 != "]" }
                }
                #expect(try page(store) == page(model))
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func badEventsAfterWritesBeganLeaveTheStoreAsItWas(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        let stored = Self.events(50, seed: 3)
        try store.record(contentsOf: stored)
        let before = try store.allRecords()
        var events = Self.events(1000, seed: 4)
        events[700].externalEventRef = ""  // invalid
        events[800].id = events[10].id  // repeats an earlier event of the import
        events[900].id = stored[5].id  // repeats a stored event
        events[950].id = events[990].id  // a repeat after the first refusal, found all the same
        var refusals: [(Int, SyncEventStoreError)] = []
        #expect(throws: SyncEventStoreError.self) {
            _ = try store.importEvents(flushThreshold: 64) { importer in
                var k = 0
                while k < events.count {
                    let end = min(k + 128, events.count)
                    refusals += try importer.add(events[k..<end]).map { (k + $0.offset, $0.error) }
                    k = end
                }
            }
        }
        #expect(refusals.map(\.0) == [700, 800, 900, 990])
        #expect(refusals[1].1 == .duplicateID(events[10].id))
        #expect(refusals[2].1 == .duplicateID(stored[5].id))
        #expect(try store.allRecords() == before)
        #expect(try store.verifyIndexes().isEmpty)
        // The same import without the bad events then goes through.
        var good = Self.events(1000, seed: 4)
        good.remove(at: 700)
        let n = try store.importEvents(flushThreshold: 64) { _ = try $0.add(good) }
        #expect(n == good.count)
        #expect(try store.count == stored.count + good.count)
        #expect(try store.verifyIndexes().isEmpty)
    }

    @Test func aThrowingFeedWritesNothing() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(.lmdb, dir)
        defer { store.close() }
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            _ = try store.importEvents(flushThreshold: 10) { importer in
                _ = try importer.add(Self.events(100, seed: 5))
                throw Stop()
            }
        }
        #expect(try store.count == 0)
    }

    @Test func theInMemoryMapMergesSortedRunsIntoChunks() throws {
        // Random keys in sorted runs, merged into a map that already holds others: same as one by one.
        var random = SeededRandomSource(seed: 9)
        var merged = ChunkedSortedMap()
        var reference = ChunkedSortedMap()
        for round in 0..<6 {
            var keys = Set<[UInt8]>()
            for _ in 0..<(round == 0 ? 3000 : 700) {
                let n = Int(random.next() % 6) + 1
                keys.insert((0..<n).map { _ in UInt8(random.next() % 4) + UInt8(round % 2) })
            }
            let sorted = keys.sorted { $0.lexicographicallyPrecedes($1) }
            let values = sorted.map { [UInt8(truncatingIfNeeded: $0.count + round)] }
            for (k, v) in zip(sorted, values) { reference.put(k, v) }
            sorted.withUnsafeBufferPointer { _ in
                merged.putSorted(count: sorted.count) { i in
                    sorted[i].withUnsafeBytes { k in values[i].withUnsafeBytes { v in (k, v) } }
                }
            }
            #expect(merged.count == reference.count)
            #expect(merged.byteCount == reference.byteCount)
            let a = merged.chunks.flatMap { zip($0.keys, $0.values).map { [$0.0, $0.1] } }
            let b = reference.chunks.flatMap { zip($0.keys, $0.values).map { [$0.0, $0.1] } }
            #expect(a == b)
            #expect(merged.chunks.allSatisfy { !$0.keys.isEmpty && $0.keys.count <= ChunkedSortedMap.maximumChunk })
        }
    }
}
