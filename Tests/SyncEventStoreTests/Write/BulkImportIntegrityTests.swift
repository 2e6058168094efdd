import Foundation
import Testing
@testable import SyncEventStore

/// The bulk path writes records of the current form (issue 10: version 2, ending with a CRC-32C) and the
/// claim queue (issue 9: delayed / target queue / ready entries and queue heads), exactly as the
/// one-record-at-a-time path does.
@Suite("Bulk import integrity")
struct BulkImportIntegrityTests {
    @Test(arguments: Backend.allCases)
    func bulkRecordsAreChecksummedAndTheClaimQueueMatchesOneByOne(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        let model = SyncEventStore.inMemory()
        defer { model.close() }
        // No event running: every target is idle, so its oldest due queued event is claimable.
        let events = BulkImportTests.events(1500, seed: 21).map { e in
            var e = e
            if e.status == .running { e.status = .queued }
            return e
        }
        #expect(events.contains { $0.status == .queued && $0.connectorTargetId != nil })
        let n = try store.importEvents(flushThreshold: 101) { importer in
            var k = 0
            while k < events.count {
                let refused = try importer.add(events[k..<min(k + 300, events.count)])
                #expect(refused.isEmpty)
                k += 300
            }
        }
        #expect(n == events.count)
        for e in events { try model.record(e) }

        // Records' checksums and stored JSON, every index entry and the search index, both ways.
        #expect(try store.verifyIndexes() == [])
        let raw = try store.rawRecords()
        #expect(raw.count == events.count)
        #expect(raw.allSatisfy { $0.first == RecordCodec.version })
        #expect(raw.allSatisfy { bytes in bytes.withUnsafeBytes { RecordCodec.checksumMatches($0) } })
        for e in events { #expect(try store.event(id: e.id) == e) }
        #expect(try store.allRecords() == model.allRecords())

        // The claim queue: the same claims, in the same order, as the store written one record at a time.
        let now = Timestamp(millisecondsSince1970: Int64(4_000_000_000_000))
        for _ in 0..<3 {
            let a = try store.claimDue(now: now, limit: 25).map(\.event.id)
            let b = try model.claimDue(now: now, limit: 25).map(\.event.id)
            #expect(a == b)
            #expect(!a.isEmpty)
        }
        #expect(try store.verifyIndexes() == [])
    }
}

extension SyncEventStore {
    /// Every stored record's raw bytes, in id order.
    func rawRecords() throws -> [[UInt8]] {
        func read(_ storage: some KeyValueStorage) throws -> [[UInt8]] {
            try storage.read { txn in
                var out: [[UInt8]] = []
                var cursor = try txn.makeCursor(.events)
                guard try cursor.first() else { return out }
                repeat { try cursor.withCurrent { _, value in out.append(Array(value)) } } while try cursor.next()
                return out
            }
        }
        switch backend {
        case .lmdb(let e): return try read(e.storage)
        case .memory(let e): return try read(e.storage)
        }
    }
}
