#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bulk deletes and retention, in bounded write transactions: each removes at most ``Engine/chunkSize``
/// events (records and every index entry together), so a claim or an enqueue waits behind one chunk,
/// never behind the whole operation.
extension Engine {
    /// Between two chunks: the writer lock is not fair, so wait (up to 100 ms) until the writers that
    /// queued up behind the chunk (a claim, an enqueue) got their turn.
    func yieldToWaitingWriters() {
        var waited = 0
        while storage.writersWaiting > 0 && waited < 1000 {
            usleep(100)
            waited += 1
        }
    }

    /// Events removed per write transaction by deletes and `prune`.
    static var chunkSize: Int { 128 }

    /// Removes every event of the connector instances `instances` of `organization`. - Returns: how many.
    func deleteEvents(organization: TypeID, instances: [TypeID]) throws -> Int {
        var removed = 0
        for instance in Set(instances) {
            removed += try deleteInChunks(IndexKey.prefix(.instance, organization.bytes, instance.bytes))
        }
        return removed
    }

    /// Removes every event of `organization`. - Returns: how many.
    func deleteEvents(organization: TypeID) throws -> Int {
        try deleteInChunks(IndexKey.prefix(.organization, organization.bytes))
    }

    /// Removes the events of the list index stream `prefix`, a chunk per transaction, until none is left.
    func deleteInChunks(_ prefix: [UInt8]) throws -> Int {
        var removed = 0
        while true {
            let (seen, gone) = try storage.write { txn in
                let ids = try Engine.orderedIDs(txn, prefix, limit: Engine.chunkSize)
                var gone = 0
                for id in ids where try txn.removeRecord(id) { gone += 1 }
                return (ids.count, gone)
            }
            removed += gone
            if seen < Engine.chunkSize { return removed }
            yieldToWaitingWriters()
        }
    }

    /// The ids of the list-index entries with `prefix` (keys ending in the order suffix).
    static func orderedIDs(_ txn: some StorageReadTransaction, _ prefix: [UInt8], limit: Int = .max) throws -> [TypeID] {
        var ids: [TypeID] = []
        try txn.forEachKey(withPrefix: prefix) { key in
            ids.append(IndexKey.order(fromKeyEnd: key).id)
            return ids.count < limit
        }
        return ids
    }

    /// Retention: for each target (events without a target: for each connector instance), keeps the
    /// newest `keepingLatest` events whatever their age, and removes the older finished ones
    /// (`completed`, `failed`, `partial`, `ignored`) that started before `cutoff`. `pending`, `queued`
    /// and `running` events are never pruned.
    ///
    /// Reads only candidates: per organization and finished status, the `status` index from `cutoff`
    /// back; a candidate's group is checked against the group's `keepingLatest`-th newest event, found
    /// once per group and transaction. Chunks of ``chunkSize`` removals (or four times as many keys
    /// read) per transaction. - Returns: how many were removed.
    func prune(olderThan cutoff: Timestamp, keepingLatest: Int) throws -> Int {
        let keep = max(0, keepingLatest)
        let (last, overflow) = cutoff.millisecondsSince1970.subtractingReportingOverflow(1)
        if overflow { return 0 }
        var start: [UInt8] = []
        IndexKey.appendBE(~IndexKey.biased(last), to: &start)  // the first key suffix that started before cutoff
        let organizations = try storage.read { txn in try Engine.organizations(txn) }
        var removed = 0
        for org in organizations {
            for status in [EventStatus.completed, .failed, .partial, .ignored] {
                let prefix = IndexKey.prefix(.status, org.bytes, [status.code])
                var from = prefix + start
                while true {
                    let (next, gone) = try storage.write { txn in
                        try Engine.pruneChunk(txn, prefix: prefix, from: from, keep: keep)
                    }
                    removed += gone
                    guard let next else { break }
                    from = next
                    yieldToWaitingWriters()
                }
            }
        }
        return removed
    }

    /// Every organization that has events (one seek per organization).
    static func organizations(_ txn: some StorageReadTransaction) throws -> [TypeID] {
        var out: [TypeID] = []
        var cursor = try txn.makeCursor(.indexes)
        var more = try cursor.seek(atOrAfter: [IndexKind.organization.rawValue])
        while more {
            let key = try cursor.key
            guard key.count >= 17, key[0] == IndexKind.organization.rawValue else { break }
            let org = TypeID(prefix: .organization, bytes: key[1..<17])
            out.append(org)
            // Skip to the next organization: the successor of this organization's 16 bytes.
            var successor = Array(key[0..<17])
            while let last = successor.last, last == 0xFF { successor.removeLast() }
            if successor.count <= 1 { break }
            successor[successor.count - 1] += 1
            more = try cursor.seek(atOrAfter: successor)
        }
        return out
    }

    /// One chunk of `prune` over the status stream `prefix` from key `from`.
    /// - Returns: the key to continue from (`nil` at the end of the stream) and how many were removed.
    static func pruneChunk(_ txn: some StorageWriteTransaction, prefix: [UInt8], from: [UInt8], keep: Int) throws
        -> (next: [UInt8]?, removed: Int)
    {
        var boundaries: [[UInt8]: [UInt8]?] = [:]  // group → order suffix of its keep-th newest event
        var doomed: [TypeID] = []
        var read = 0
        var next: [UInt8]?
        var cursor = try txn.makeCursor(.indexes)
        var more = try cursor.seek(atOrAfter: from)
        while more {
            let key = try cursor.key
            guard key.starts(with: prefix) else { break }
            if doomed.count == chunkSize || read == 4 * chunkSize {
                next = key
                break
            }
            read += 1
            let suffix = Array(key[(key.count - IndexKey.orderSuffixLength)...])
            let id = key.withUnsafeBytes { IndexKey.order(fromKeyEnd: $0).id }
            if keep == 0 {
                doomed.append(id)
            } else {
                guard let group = try txn.withValue(.events, id.bytes, { try pruneGroup(RecordView($0)) }) else {
                    throw StorageError.corrupted("status index names missing event \(id)")
                }
                if boundaries[group] == nil { boundaries[group] = .some(try keepBoundary(txn, group: group, keep: keep)) }
                if let boundary = boundaries[group]!, boundary.lexicographicallyPrecedes(suffix) { doomed.append(id) }
            }
            more = try cursor.next()
        }
        var removed = 0
        for id in doomed where try txn.removeRecord(id) { removed += 1 }
        return (next, removed)
    }

    /// The list stream a record's retention group is counted in: its target's, or for an event without a
    /// target its instance's (counting only events without a target).
    static func pruneGroup(_ r: RecordView) throws -> [UInt8] {
        if let t = r.targetBytes { return IndexKey.prefix(.target, Array(r.organizationBytes), Array(t)) }
        return IndexKey.prefix(.instance, Array(r.organizationBytes), Array(r.instanceBytes))
    }

    /// The order suffix of the `keep`-th newest event of `group` (`nil` when it has fewer): events with a
    /// larger suffix (older) are beyond the kept ones.
    static func keepBoundary(_ txn: some StorageReadTransaction, group: [UInt8], keep: Int) throws -> [UInt8]? {
        let untargetedOnly = group.first == IndexKind.instance.rawValue
        var seen = 0
        var boundary: [UInt8]?
        try txn.forEachKey(withPrefix: group) { key in
            if untargetedOnly {
                let id = IndexKey.order(fromKeyEnd: key).id
                let targeted = try txn.withValue(.events, id.bytes) { try RecordView($0).targetBytes != nil }
                if targeted != false { return true }
            }
            seen += 1
            if seen == keep {
                boundary = Array(UnsafeRawBufferPointer(rebasing: key[(key.count - IndexKey.orderSuffixLength)...]))
                return false
            }
            return true
        }
        return boundary
    }
}
