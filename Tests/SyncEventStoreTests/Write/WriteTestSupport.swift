import Foundation
import Testing
@testable import SyncEventStore

/// One stored record as the tests compare it: the event and its internal claim lease.
struct StoredRecord: Equatable {
    var event: SyncEvent
    var lease: Timestamp?
}

extension Engine {
    /// Every record with its lease, in id order.
    func allRecords() throws -> [StoredRecord] {
        try storage.read { txn in
            var out: [StoredRecord] = []
            var cursor = try txn.makeCursor(.events)
            guard try cursor.first() else { return out }
            repeat {
                try cursor.withCurrent { _, value in
                    out.append(StoredRecord(event: try RecordCodec.decode(value), lease: try RecordView(value).leaseExpiresAt))
                }
            } while try cursor.next()
            return out
        }
    }

    /// Writes one raw index key (to test that verification notices it).
    func injectIndexKey(_ key: [UInt8]) throws { try storage.write { try $0.put(.indexes, key, []) } }
    /// Removes one raw index key.
    func removeIndexKey(_ key: [UInt8]) throws { try storage.write { _ = try $0.delete(.indexes, key) } }
}

extension SyncEventStore {
    /// Every record with its lease, in id order.
    func allRecords() throws -> [StoredRecord] {
        switch backend {
        case .lmdb(let e): return try e.allRecords()
        case .memory(let e): return try e.allRecords()
        }
    }

    func injectIndexKey(_ key: [UInt8]) throws {
        switch backend {
        case .lmdb(let e): try e.injectIndexKey(key)
        case .memory(let e): try e.injectIndexKey(key)
        }
    }

    func removeIndexKey(_ key: [UInt8]) throws {
        switch backend {
        case .lmdb(let e): try e.removeIndexKey(key)
        case .memory(let e): try e.removeIndexKey(key)
        }
    }
}

func ms(_ v: Int64) -> Timestamp { Timestamp(millisecondsSince1970: v) }

/// A queued event without a target, as a manual resync of an instance is recorded.
func queuedEvent(_ f: inout Fixtures, org: TypeID, instance: TypeID, target: TypeID? = nil, at t: Int64,
                 eventType: EventType = .manualResync, next: Int64? = nil) -> SyncEvent {
    SyncEvent(
        id: f.id(.event), organizationId: org, connectorInstanceId: instance, connectorTargetId: target,
        eventType: eventType, status: .queued, summaryJson: ["trigger": .string("manual")],
        startedAt: ms(t), nextAttemptAt: next.map(ms))
}

/// Moves the index entries that format 4 keys differently back to the layout of formats 1–3, to make
/// stores of those formats: per-target entries to `kind ‖ target ‖ rest`, instance+status entries to
/// `6 ‖ org ‖ instance ‖ status ‖ order`.
func moveToPreFormat4Layout(_ txn: any StorageWriteTransaction) throws {
    for byte in [IndexKind.perTarget.rawValue, IndexKind.instanceStatus.rawValue] {
        var keys: [[UInt8]] = []
        try txn.forEachKey(withPrefix: [byte]) { key in
            keys.append(Array(key))
            return true
        }
        for k in keys {
            try txn.delete(.indexes, k)
            if byte == IndexKind.perTarget.rawValue {
                try txn.put(.indexes, [k[17]] + k[1..<17] + k[18...], [])
            } else {
                try txn.put(.indexes, [6] + k[1..<17] + k[18..<34] + [k[17]] + k[34...], [])
            }
        }
    }
}

/// Every key of the `indexes` table, in key order.
func allIndexKeys(_ store: SyncEventStore) throws -> [[UInt8]] {
    try store.write { txn in
        var keys: [[UInt8]] = []
        var cursor = try txn.makeCursor(.indexes)
        var more = try cursor.first()
        while more {
            keys.append(try cursor.key)
            more = try cursor.next()
        }
        return keys
    }
}
