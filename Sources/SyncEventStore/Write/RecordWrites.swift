import CLMDB

/// The only place records are written or removed: every change keeps every index (and the search
/// index) consistent in the same transaction.
extension StorageWriteTransaction {
    /// Stores `event` (new or replacing the stored record with the same id) and updates its index entries;
    /// `lease` is the claim's lease of a `running` event (none otherwise); `promoted` marks a queued event
    /// whose back-off is over as ready (see ``IndexKind/ready``). The claim queue heads of the targets
    /// involved follow.
    /// - Returns: the record's previous bytes, if there was one.
    @discardableResult
    func storeRecord(_ event: SyncEvent, lease: Lease? = nil, promoted: Bool = false) throws -> [UInt8]? {
        let key = event.id.bytes
        let old = try get(.events, key)
        // The search seq is kept for the record's lifetime; a new record takes the next one.
        // (Seqs are per organization: a record moved to another organization takes a new one.)
        let kept = try old.flatMap { bytes in
            try bytes.withUnsafeBytes { b -> UInt32? in
                let view = try RecordView(b)
                return view.organizationId == event.organizationId ? view.searchSeq : nil
            }
        }
        let seq = try kept ?? SearchIndex.nextSeq(self, org: event.organizationId)
        let new = RecordCodec.encode(event, lease: lease, searchSeq: seq, promoted: promoted)
        var heads = Set<[UInt8]>()
        try new.withUnsafeBytes { n in
            let newView = try RecordView(n)
            let newKeys = IndexKey.keys(for: newView)
            if let t = newView.queueTarget { heads.insert(t) }
            if let old {
                try old.withUnsafeBytes { o in
                    let oldView = try RecordView(o)
                    if let t = oldView.queueTarget { heads.insert(t) }
                    let oldKeys = IndexKey.keys(for: oldView)
                    // ~15 short keys a side: a linear search beats hashing each key byte by byte
                    // (which was ~10 % of a claim).
                    for k in oldKeys where !newKeys.contains(k) { try delete(.indexes, k) }
                    let retyped = oldView.eventTypeCode != newView.eventTypeCode
                    for k in newKeys where !oldKeys.contains(k) || (retyped && k[0] == IndexKind.target.rawValue) {
                        try put(.indexes, k, IndexKey.entryValue(k, of: newView))
                    }
                    try SearchIndex.update(self, old: oldView, new: newView)
                }
            } else {
                for k in newKeys { try put(.indexes, k, IndexKey.entryValue(k, of: newView)) }
                try SearchIndex.update(self, old: nil, new: newView)
            }
        }
        try put(.events, key, new)
        for t in heads { try refreshQueueHead(t) }
        return old
    }

    /// Removes the record `id` and all its index entries. - Returns: whether it existed.
    @discardableResult
    func removeRecord(_ id: TypeID) throws -> Bool {
        let key = id.bytes
        guard let old = try get(.events, key) else { return false }
        let target = try old.withUnsafeBytes { o in
            let view = try RecordView(o)
            for k in IndexKey.keys(for: view) { try delete(.indexes, k) }
            try SearchIndex.update(self, old: view, new: nil)
            return view.queueTarget
        }
        try delete(.events, key)
        if let target { try refreshQueueHead(target) }
        return true
    }
}

extension StorageWriteTransaction {
    /// Inserts records known to be new (ids checked by the caller) as the bulk path: records encoded into
    /// one buffer and written by ascending id, every index key of the batch built into one buffer and
    /// written in ascending order, search order entries likewise, then the search postings one container
    /// at a time. Same entries as `storeRecord` for each event, with no allocation per key and sorted puts
    /// (appends when the batch sorts after what is stored).
    func insertNewRecords(_ events: [SyncEvent], buffers: BulkBuffers = BulkBuffers()) throws {
        guard !events.isEmpty else { return }
        var perOrganization: [TypeID: Int] = [:]
        for e in events { perOrganization[e.organizationId, default: 0] += 1 }
        var nextSeq: [TypeID: UInt32] = [:]
        for (org, count) in perOrganization { nextSeq[org] = try SearchIndex.reserveSeqs(self, org: org, count: count) }
        let batch = SearchBatch()
        var heads = Set<[UInt8]>()
        var records = buffers.take(0)
        var indexKeys = buffers.take(1)
        var orders = buffers.take(2)
        defer {
            buffers.give(records, 0)
            buffers.give(indexKeys, 1)
            buffers.give(orders, 2)
        }
        var order: [Int] = Array(events.indices)
        order.sort { events[$0].id < events[$1].id }
        for i in order {
            let event = events[i]
            let seq = nextSeq[event.organizationId]!
            nextSeq[event.organizationId] = seq + 1
            let start = records.bytes.count
            event.id.appendBytes(to: &records.bytes)
            RecordCodec.encode(event, searchSeq: seq, into: &records.bytes)
            records.ends.append(records.bytes.count)
            try records.bytes.withUnsafeBytes { all in
                let view = try RecordView(UnsafeRawBufferPointer(rebasing: all[(start + 16)...]))
                IndexKey.appendKeys(for: view, to: &indexKeys.bytes, ends: &indexKeys.ends, values: true)
                if let t = view.queueTarget { heads.insert(t) }
                // Search order entry: org ‖ 0 ‖ seq → the order key.
                orders.bytes.append(contentsOf: view.organizationBytes)
                orders.bytes.append(0)
                withUnsafeBytes(of: seq.bigEndian) { orders.bytes.append(contentsOf: $0) }
                OrderKey(startedAt: view.startedAt.millisecondsSince1970, id: view.id).append(to: &orders.bytes)
                orders.ends.append(orders.bytes.count)
                batch.add(view, seq: seq)
            }
        }
        // Records: the id (16 bytes) then the record, already in id order.
        try records.bytes.withUnsafeBytes { all in
            try putSorted(.events, count: records.ends.count) { i in
                let start = i == 0 ? 0 : records.ends[i - 1]
                return (UnsafeRawBufferPointer(rebasing: all[start..<(start + 16)]),
                        UnsafeRawBufferPointer(rebasing: all[(start + 16)..<records.ends[i]]))
            }
        }
        try indexKeys.putSortedKeys(into: self, .indexes, keyLength: nil, targetValues: true)
        try orders.putSortedKeys(into: self, .search, keyLength: 21)
        try batch.flush(self)
        for t in heads.sorted(by: { $0.lexicographicallyPrecedes($1) }) { try refreshQueueHead(t) }
    }
}

extension RecordView {
    /// The target whose claim-queue head this record can change (it is ready or running), if any.
    var queueTarget: [UInt8]? {
        guard let t = targetBytes, isReady || status == .running else { return nil }
        return Array(t)
    }
}

/// The arenas of a bulk write, kept from one batch to the next of an import: their memory is reused
/// instead of being allocated (and zeroed by the kernel) again for every batch.
final class BulkBuffers {
    private var arenas = [BulkArena](repeating: BulkArena(capacity: 0, entries: 0), count: 3)

    init() {}

    func take(_ i: Int) -> BulkArena {
        var a = arenas[i]
        arenas[i] = BulkArena(capacity: 0, entries: 0)
        a.bytes.removeAll(keepingCapacity: true)
        a.ends.removeAll(keepingCapacity: true)
        return a
    }

    func give(_ a: BulkArena, _ i: Int) { arenas[i] = a }
}

/// Variable-length entries of a bulk write in one buffer: entry `i` is `bytes[ends[i-1]..<ends[i]]`.
struct BulkArena {
    var bytes: [UInt8] = []
    var ends: [Int] = []

    init(capacity: Int, entries: Int) {
        bytes.reserveCapacity(capacity)
        ends.reserveCapacity(entries)
    }

    /// Writes the entries in ascending key order. Each entry is its key, or — with `keyLength` — a key of
    /// that length followed by its value (otherwise the value is empty). With `targetValues`, an index
    /// `target` entry is its key followed by its 1-byte value.
    func putSortedKeys(
        into txn: some StorageWriteTransaction, _ table: Table, keyLength: Int?, targetValues: Bool = false
    ) throws {
        try bytes.withUnsafeBytes { all in
            let base = all.baseAddress!
            var order = [Int32](unsafeUninitializedCapacity: ends.count) { buffer, n in
                for i in 0..<ends.count { buffer[i] = Int32(i) }
                n = ends.count
            }
            try ends.withUnsafeBufferPointer { ends in
                /// Where entry `i` starts, where its key ends and its value starts, and where it ends.
                @inline(__always) func split(_ i: Int) -> (start: Int, keyEnd: Int, end: Int) {
                    let start = i == 0 ? 0 : ends[i - 1]
                    let end = ends[i]
                    if let keyLength { return (start, start + keyLength, end) }
                    if targetValues, all[start] == IndexKind.target.rawValue, end - start == IndexKey.targetKeyLength + 1 {
                        return (start, end - 1, end)
                    }
                    return (start, end, end)
                }
                // The tables' own order (`clmdb_compare_bytes`), so that the puts are appends where they can be.
                order.sort { a, b in
                    let x = split(Int(a))
                    let y = split(Int(b))
                    var kx = MDB_val(mv_size: x.keyEnd - x.start, mv_data: UnsafeMutableRawPointer(mutating: base + x.start))
                    var ky = MDB_val(mv_size: y.keyEnd - y.start, mv_data: UnsafeMutableRawPointer(mutating: base + y.start))
                    return clmdb_compare_bytes(&kx, &ky) < 0
                }
                try txn.putSorted(table, count: order.count) { k in
                    let e = split(Int(order[k]))
                    return (UnsafeRawBufferPointer(rebasing: all[e.start..<e.keyEnd]),
                            UnsafeRawBufferPointer(rebasing: all[e.keyEnd..<e.end]))
                }
            }
        }
    }
}
