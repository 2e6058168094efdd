/// The claim queue: `claimDue` reads `limit` entries of the `ready` index, never the whole backlog.
///
/// - A queued event is *ready* when it has no `nextAttemptAt`, or when `claimDue` found it due and
///   promoted it (a record flag). Events still backing off sit in the `delayed` index by due time.
/// - Ready events with a target sit in their target's queue (`targetQueue`); only the head of that queue
///   (the oldest) is in `ready`, and only while the target has no `running` event. Ready events without a
///   target are in `ready` directly.
/// So every `ready` entry is claimable and a claim of `limit` events reads `limit` entries, plus the
/// delayed entries that fell due since the last claim (each promoted once).
extension Engine {
    /// Most delayed events one claim promotes; more wait for the next claim (claim order is exact as long
    /// as fewer fall due between two claims).
    static var promotionBatch: Int { 1024 }

    /// Claims up to `limit` ready events in claim order (`startedAt`, then `id`): at most one per target,
    /// none of a target with a `running` event. Each becomes `running` with a lease until
    /// `now + leaseMilliseconds` and a new fence. A record that cannot be decoded is quarantined (taken
    /// out of the queue, its id passed to `onUndecodable`) and the claim goes on with the others.
    func claimDue(now: Timestamp, limit: Int, leaseMilliseconds: Int64) throws -> [Claim] {
        guard limit > 0 else { return [] }
        let leaseEnd = now.adding(milliseconds: leaseMilliseconds)
        var quarantined: [(TypeID, String)] = []
        let claims = try storage.write { txn -> [Claim] in
            quarantined = []
            quarantined = try Engine.promoteDue(txn, now: now, limit: Engine.promotionBatch)
            var claims: [Claim] = []
            while claims.count < limit {
                var next: TypeID?
                try txn.forEachKey(withPrefix: [IndexKind.ready.rawValue]) { key in
                    guard key.count == 25 else { throw StorageError.corrupted("ready index entry of \(key.count) bytes") }
                    next = IndexKey.idAtEnd(of: key)
                    return false
                }
                guard let id = next else { break }
                let loaded: Result<SyncEvent, any Error>? = try txn.withValue(.events, id.bytes) { bytes in
                    Result { try RecordCodec.decode(bytes) }
                }
                switch loaded {
                case nil: throw StorageError.corrupted("ready index names missing event \(id)")
                case .failure(let error):
                    try txn.quarantineRecord(id)
                    quarantined.append((id, String(describing: error)))
                case .success(var event):
                    event.status = .running
                    let lease = Lease(expiresAt: leaseEnd, token: .random())
                    try txn.storeRecord(event, lease: lease)
                    claims.append(Claim(event: event, token: lease.token, leaseExpiresAt: leaseEnd))
                }
            }
            return claims
        }
        for (id, reason) in quarantined { onUndecodableRecord?(id, reason) }
        return claims
    }

    /// Moves up to `limit` delayed events whose `nextAttemptAt` is at or before `now` into the ready
    /// queue, by rewriting each record with the promoted flag (its index entries follow).
    /// - Returns: the records found undecodable (quarantined), with the reason.
    static func promoteDue(_ txn: some StorageWriteTransaction, now: Timestamp, limit: Int) throws -> [(TypeID, String)] {
        var quarantined: [(TypeID, String)] = []
        var due: [TypeID] = []
        let nowKey = IndexKey.biased(now.millisecondsSince1970)
        try txn.forEachKey(withPrefix: [IndexKind.delayed.rawValue]) { key in
            guard key.count == 33 else { throw StorageError.corrupted("delayed index entry of \(key.count) bytes") }
            if key.loadUnaligned(fromByteOffset: 1, as: UInt64.self).bigEndian > nowKey { return false }
            due.append(IndexKey.idAtEnd(of: key))
            return due.count < limit
        }
        for id in due {
            let loaded: Result<SyncEvent, any Error>? = try txn.withValue(.events, id.bytes) { bytes in
                Result { try RecordCodec.decode(bytes) }
            }
            switch loaded {
            case nil: throw StorageError.corrupted("delayed index names missing event \(id)")
            case .failure(let error):
                try txn.quarantineRecord(id)
                quarantined.append((id, String(describing: error)))
            case .success(let event): try txn.storeRecord(event, promoted: true)
            }
        }
        return quarantined
    }
}

extension StorageWriteTransaction {
    /// Makes the claim queue hold the right entry for `target` (16 id bytes): its oldest ready event,
    /// unless the target has a `running` event. Called after every change to a record of the target
    /// that is or was ready or running.
    func refreshQueueHead(_ target: [UInt8]) throws {
        let headPrefix = IndexKey.prefix(.queueHead, target)
        var old: [UInt8]?
        try forEachKey(withPrefix: headPrefix) { key in
            old = Array(UnsafeRawBufferPointer(rebasing: key[headPrefix.count...]))
            return false
        }
        var new: [UInt8]?
        if try !hasKey(withPrefix: IndexKey.prefix(.targetStatus, target, [EventStatus.running.code])) {
            let queuePrefix = IndexKey.prefix(.targetQueue, target)
            try forEachKey(withPrefix: queuePrefix) { key in
                new = Array(UnsafeRawBufferPointer(rebasing: key[queuePrefix.count...]))
                return false
            }
        }
        guard old != new else { return }
        if let old {
            try delete(.indexes, headPrefix + old)
            try delete(.indexes, [IndexKind.ready.rawValue] + old)
        }
        if let new {
            try put(.indexes, headPrefix + new, [])
            try put(.indexes, [IndexKind.ready.rawValue] + new, [])
        }
    }

    /// Marks the record `id` quarantined in place (its bytes otherwise unchanged) and takes it out of the
    /// claim queue; `verify` lists it.
    func quarantineRecord(_ id: TypeID) throws {
        guard var bytes = try get(.events, id.bytes), bytes.count > 50 else { return }
        // Damaged bytes (a checksum mismatch) cannot be read for their index keys: left as they are,
        // skipped and reported by every claim, listed by `verify`.
        guard let (oldKeys, target, wasQueued) = try? bytes.withUnsafeBytes({ b in
            let view = try RecordView(b)
            return (IndexKey.keys(for: view), view.targetBytes.map { Array($0) }, view.isReady || view.status == .running)
        }) else { return }
        bytes[50] |= RecordCodec.Flags2.quarantined.rawValue
        bytes.removeLast(RecordCodec.checksumLength)  // the flag changed the bytes the checksum covers
        RecordCodec.appendChecksum(to: &bytes)
        let newKeys = try bytes.withUnsafeBytes { IndexKey.keys(for: try RecordView($0)) }
        let keep = Set(newKeys)
        for k in oldKeys where !keep.contains(k) { try delete(.indexes, k) }
        try put(.events, id.bytes, bytes)
        if let target, wasQueued { try refreshQueueHead(target) }
    }
}

extension Engine {
    /// Format 1 kept every queued event in one `due` index (kind 9, the due time of an event without
    /// `nextAttemptAt` being the dawn of time). Rebuilds the claim queue from the queued records.
    static func migrateFromFormat1(_ txn: some StorageWriteTransaction) throws {
        var keys: [[UInt8]] = []
        try txn.forEachKey(withPrefix: [IndexKind.delayed.rawValue]) { key in
            keys.append(Array(key))
            return true
        }
        var targets = Set<[UInt8]>()
        for key in keys {
            try txn.delete(.indexes, key)
            let id = key.withUnsafeBytes { IndexKey.idAtEnd(of: $0) }
            try txn.withValue(.events, id.bytes) { bytes in
                let view = try RecordView(bytes)
                let queueKinds: Set<UInt8> = [IndexKind.delayed.rawValue, IndexKind.targetQueue.rawValue, IndexKind.ready.rawValue]
                for k in IndexKey.keys(for: view) where queueKinds.contains(IndexKey.kind(of: k)) { try txn.put(.indexes, k, []) }
                if let t = view.targetBytes { targets.insert(Array(t)) }
            }
        }
        for t in targets { try txn.refreshQueueHead(t) }
    }
}
