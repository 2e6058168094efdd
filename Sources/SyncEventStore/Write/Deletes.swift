/// Bulk deletes and retention: collect ids from an index range, then `removeRecord` each, all in one
/// write transaction, so the records and every index entry go together or not at all.
extension Engine {
    /// Removes every event of the connector instances `instances` of `organization`. - Returns: how many.
    func deleteEvents(organization: TypeID, instances: [TypeID]) throws -> Int {
        try storage.write { txn in
            var removed = 0
            for instance in Set(instances) {
                let ids = try Engine.orderedIDs(txn, IndexKey.prefix(.instance, organization.bytes, instance.bytes))
                for id in ids where try txn.removeRecord(id) { removed += 1 }
            }
            return removed
        }
    }

    /// Removes every event of `organization`. - Returns: how many.
    func deleteEvents(organization: TypeID) throws -> Int {
        try storage.write { txn in
            var removed = 0
            for id in try Engine.orderedIDs(txn, IndexKey.prefix(.organization, organization.bytes))
            where try txn.removeRecord(id) {
                removed += 1
            }
            return removed
        }
    }

    /// The ids of the list-index entries with `prefix` (keys ending in the order suffix).
    static func orderedIDs(_ txn: some StorageReadTransaction, _ prefix: [UInt8]) throws -> [TypeID] {
        var ids: [TypeID] = []
        try txn.forEachKey(withPrefix: prefix) { key in
            ids.append(IndexKey.order(fromKeyEnd: key).id)
            return true
        }
        return ids
    }

    /// Retention: for each target (events without a target: for each connector instance), keeps the
    /// newest `keepingLatest` events whatever their age, and removes the older finished ones
    /// (`completed`, `failed`, `partial`, `ignored`) that started before `cutoff`. `pending`, `queued`
    /// and `running` events are never pruned. One write transaction. - Returns: how many were removed.
    func prune(olderThan cutoff: Timestamp, keepingLatest: Int) throws -> Int {
        let keep = max(0, keepingLatest)
        let finished: Set<UInt8> = Set([EventStatus.completed, .failed, .partial, .ignored].map(\.code))
        return try storage.write { txn in
            var doomed: [TypeID] = []
            // A group is the key bytes before the order suffix; within a group, keys run newest first.
            func walk(_ kind: IndexKind, onlyUntargeted: Bool) throws {
                var group: [UInt8] = []
                var position = 0
                try txn.forEachKey(withPrefix: [kind.rawValue]) { key in
                    let groupBytes = UnsafeRawBufferPointer(rebasing: key[0..<(key.count - IndexKey.orderSuffixLength)])
                    let (started, id) = IndexKey.order(fromKeyEnd: key)
                    let verdict = try txn.withValue(.events, id.bytes) { bytes -> (counts: Bool, prune: Bool) in
                        let r = try RecordView(bytes)
                        if onlyUntargeted && r.targetBytes != nil { return (false, false) }
                        return (true, finished.contains(r.statusCode))
                    }
                    guard let verdict else { throw StorageError.corrupted("\(kind.name) index names missing event \(id)") }
                    guard verdict.counts else { return true }
                    if !groupBytes.elementsEqual(group) {
                        group = Array(groupBytes)
                        position = 0
                    }
                    position += 1
                    if position > keep, started < cutoff.millisecondsSince1970, verdict.prune { doomed.append(id) }
                    return true
                }
            }
            try walk(.target, onlyUntargeted: false)
            try walk(.instance, onlyUntargeted: true)
            var removed = 0
            for id in doomed where try txn.removeRecord(id) { removed += 1 }
            return removed
        }
    }
}
