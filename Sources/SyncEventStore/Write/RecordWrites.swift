#if canImport(Glibc)
import Glibc
#endif

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
                    let newSet = Set(newKeys)
                    let oldSet = Set(oldKeys)
                    for k in oldKeys where !newSet.contains(k) { try delete(.indexes, k) }
                    for k in newKeys where !oldSet.contains(k) { try put(.indexes, k, []) }
                    try SearchIndex.update(self, old: oldView, new: newView)
                }
            } else {
                for k in newKeys { try put(.indexes, k, []) }
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
    /// Inserts records known to be new (ids checked by the caller) in the order that fills B-tree pages
    /// best: records by ascending id, then every index key of the batch in ascending order, then the search
    /// postings one container at a time. Same entries as `storeRecord` for each event, fewer page splits.
    func insertNewRecords(_ events: [SyncEvent]) throws {
        guard !events.isEmpty else { return }
        var perOrganization: [TypeID: Int] = [:]
        for e in events { perOrganization[e.organizationId, default: 0] += 1 }
        var nextSeq: [TypeID: UInt32] = [:]
        for (org, count) in perOrganization { nextSeq[org] = try SearchIndex.reserveSeqs(self, org: org, count: count) }
        let batch = SearchBatch()
        var heads = Set<[UInt8]>()
        var indexKeys: [[UInt8]] = []
        indexKeys.reserveCapacity(events.count * 9)
        let sorted = events.sorted { $0.id < $1.id }
        for event in sorted {
            let seq = nextSeq[event.organizationId]!
            nextSeq[event.organizationId] = seq + 1
            let record = RecordCodec.encode(event, searchSeq: seq)
            try record.withUnsafeBytes { bytes in
                let view = try RecordView(bytes)
                indexKeys.append(contentsOf: IndexKey.keys(for: view))
                if let t = view.queueTarget { heads.insert(t) }
                try SearchIndex.putOrder(self, view, seq)
                batch.add(view, seq: seq)
            }
            try put(.events, event.id.bytes, record)
        }
        indexKeys.sort { a, b in
            a.withUnsafeBytes { pa in
                b.withUnsafeBytes { pb in
                    let c = memcmp(pa.baseAddress!, pb.baseAddress!, min(pa.count, pb.count))
                    return c != 0 ? c < 0 : pa.count < pb.count
                }
            }
        }
        for k in indexKeys { try put(.indexes, k, []) }
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
