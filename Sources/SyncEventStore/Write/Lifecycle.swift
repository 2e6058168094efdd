/// The worker's lifecycle operations (BEHAVIOUR.md §6): each one write transaction that reads, checks
/// and rewrites records through `storeRecord`, so every index changes with the record.
extension Engine {
    /// Queues a `push` event for `target` at `sha`, unless any `push` event of that target and SHA exists.
    ///
    /// The check reads the `pushRevision` index (`target ‖ sha ‖ id`), never scans events.
    func enqueuePush(_ candidate: SyncEvent) throws -> PushEnqueueResult {
        precondition(candidate.eventType == .push && candidate.connectorTargetId != nil && candidate.sourceRevisionRef != nil)
        try candidate.validate(limits: limits)
        return try storage.write { txn in
            if let existing = try Engine.existingPush(txn, target: candidate.connectorTargetId!, sha: candidate.sourceRevisionRef!) {
                return .duplicate(existing: existing)
            }
            if try txn.withValue(.events, candidate.id.bytes, { _ in true }) == true {
                throw SyncEventStoreError.duplicateID(candidate.id)
            }
            try txn.storeRecord(candidate)
            return .enqueued(candidate)
        }
    }

    /// The first stored `push` event of `target` whose revision is exactly `sha`.
    static func existingPush(_ txn: some StorageReadTransaction, target: TypeID, sha: String) throws -> SyncEvent? {
        let prefix = IndexKey.prefix(.pushRevision, target.bytes, IndexKey.revisionKey(sha))
        let shaBytes = Array(sha.utf8)
        for id in try txn.idsAtKeyEnd(withPrefix: prefix) {
            // Revisions longer than 64 bytes are keyed by their SHA-256: confirm the exact text on the raw
            // record, and decode only the match (an undecodable other record never gets in the way).
            let matches = try txn.withValue(.events, id.bytes) { bytes -> Bool in
                let r = try RecordView(bytes)
                return r.eventType == .push && r.connectorTargetId == target
                    && r.sourceRevisionRef.map { $0.elementsEqual(shaBytes) } == true
            }
            if matches == true, let e = try txn.loadEvent(id) { return e }
        }
        return nil
    }

    /// Loads the event `claim` names inside `txn` and checks that the claim still holds it: the event is
    /// `running` and its stored fence is the claim's token. Else throws ``SyncEventStoreError/leaseLost(id:)``.
    static func heldEvent(_ txn: some StorageReadTransaction, _ claim: Claim) throws -> (SyncEvent, Lease) {
        let found = try txn.withValue(.events, claim.id.bytes) { bytes -> (SyncEvent, Lease?) in
            let view = try RecordView(bytes)
            // Check the fence before decoding, so a stale claim is refused even on a damaged record.
            guard view.status == .running, view.leaseToken == claim.token else { return (claim.event, nil) }
            return (try RecordCodec.decode(bytes), view.lease)
        }
        guard let (event, lease) = found, let lease else { throw SyncEventStoreError.leaseLost(id: claim.id) }
        return (event, lease)
    }

    /// Finishes the event `claim` holds as `completed`, `partial` or `ignored`: merges `summary` into
    /// `summaryJson` (existing keys replaced in place, new keys appended), sets `completedAt` to `now`
    /// (or `startedAt` if the clock stepped back before it) and clears `nextAttemptAt` and the lease.
    func finish(_ claim: Claim, as outcome: FinishStatus, summary: JSONObject?, now: Timestamp) throws -> SyncEvent {
        try storage.write { txn in
            var (event, _) = try Engine.heldEvent(txn, claim)
            event.status = outcome.status
            if let summary {
                var merged = event.summaryJson ?? JSONObject()
                for (k, v) in summary { merged[k] = v }
                event.summaryJson = merged
            }
            event.completedAt = max(now, event.startedAt)
            event.nextAttemptAt = nil
            try event.validate(limits: limits)
            try txn.storeRecord(event)
            return event
        }
    }

    /// Records a failed attempt of the event `claim` holds (BEHAVIOUR.md §6, the reference's worker):
    /// `attemptCount` + 1 and `lastError` merged into the summary; if `transient` and attempts remain,
    /// back to `queued` with `nextAttemptAt = now + backoff`; otherwise `failed` with `completedAt`,
    /// `error` and `outcome: "failed"`. `jitterUnit` is a uniform draw in 0..<1. The message is cut so
    /// the record always fits (``FailureSummary``): a failure can always be recorded.
    func fail(_ claim: Claim, error message: String, transient: Bool, now: Timestamp, policy: RetryPolicy,
              jitterUnit: Double) throws -> FailResult
    {
        try storage.write { txn in
            var (event, _) = try Engine.heldEvent(txn, claim)
            let attempts = min(event.attemptCount + 1, limits.maximumAttemptCount)
            let retry = transient && attempts < policy.maximumAttempts
            event.summaryJson = FailureSummary.merge(message, into: event.summaryJson, final: !retry, limits: limits)
            event.attemptCount = attempts
            if retry {
                event.status = .queued
                event.completedAt = nil
                event.nextAttemptAt = now.adding(
                    milliseconds: policy.delayMilliseconds(afterAttempt: attempts, unit: jitterUnit))
            } else {
                event.status = .failed
                event.completedAt = max(now, event.startedAt)
                event.nextAttemptAt = nil
            }
            try event.validate(limits: limits)
            try txn.storeRecord(event)
            return retry ? .retryScheduled(event) : .failed(event)
        }
    }

    /// The worker's heartbeat: moves the lease of the event `claim` holds to `now + milliseconds`
    /// (earlier or later than before); the fence stays.
    func extendLease(_ claim: Claim, byMilliseconds milliseconds: Int64, now: Timestamp) throws -> Claim {
        try storage.write { txn in
            let (event, lease) = try Engine.heldEvent(txn, claim)
            let renewed = Lease(expiresAt: now.adding(milliseconds: milliseconds), token: lease.token)
            try txn.storeRecord(event, lease: renewed)
            return Claim(event: event, token: renewed.token, leaseExpiresAt: renewed.expiresAt)
        }
    }

    /// Re-queues any event as the reference's retry does: `queued`, `attemptCount` 0, `completedAt` and
    /// `nextAttemptAt` null, `startedAt` now; the summary is kept. A running event loses its lease, so
    /// the claim that held it is refused from then on.
    func retry(id: TypeID, now: Timestamp) throws -> SyncEvent {
        try storage.write { txn in
            guard var event = try txn.loadEvent(id) else { throw SyncEventStoreError.notFound(id) }
            event.status = .queued
            event.attemptCount = 0
            event.completedAt = nil
            event.nextAttemptAt = nil
            event.startedAt = now
            try event.validate(limits: limits)
            try txn.storeRecord(event)
            return event
        }
    }

    /// Takes back every `running` event whose lease expired (`leaseExpiresAt <= now`), as Oban's Lifeline
    /// rescues stuck jobs: the attempt counts (`attemptCount` + 1, `lastError: "lease expired"`); when
    /// attempts remain under `policy` the event is `queued` and due at once, else it is dead-lettered:
    /// `failed`, with `completedAt`, `error: "lease expired"` and `outcome: "failed"`. Either way the
    /// claim that held it is refused from then on. Served from the `lease` index.
    func reclaimExpired(now: Timestamp, limit: Int, policy: RetryPolicy) throws -> [SyncEvent] {
        guard limit > 0 else { return [] }
        return try storage.write { txn in
            var ids: [TypeID] = []
            let nowKey = IndexKey.biased(now.millisecondsSince1970)
            try txn.forEachKey(withPrefix: [IndexKind.lease.rawValue]) { key in
                guard key.count == 25 else { throw StorageError.corrupted("lease index entry of \(key.count) bytes") }
                if key.loadUnaligned(fromByteOffset: 1, as: UInt64.self).bigEndian > nowKey { return false }
                ids.append(IndexKey.idAtEnd(of: key))
                return ids.count < limit
            }
            var reclaimed: [SyncEvent] = []
            for id in ids {
                guard var event = try txn.loadEvent(id) else {
                    throw StorageError.corrupted("lease index names missing event \(id)")
                }
                event.reclaimAfterLeaseExpiry(now: now, policy: policy, limits: limits)
                try event.validate(limits: limits)
                try txn.storeRecord(event)
                reclaimed.append(event)
            }
            return reclaimed
        }
    }
}
