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
        for id in try txn.idsAtKeyEnd(withPrefix: prefix) {
            // Revisions longer than 64 bytes are keyed by their SHA-256: confirm the exact text.
            if let e = try txn.loadEvent(id), e.eventType == .push, e.connectorTargetId == target,
                e.sourceRevisionRef == sha
            {
                return e
            }
        }
        return nil
    }

    /// Claims up to `limit` due `queued` events, oldest first, at most one per target, skipping targets
    /// that have a `running` event; each becomes `running` with a lease until `now + leaseMilliseconds`.
    ///
    /// Served from the `due` index: only entries with a due time `<= now` are read. An event without a
    /// target is its own target (never blocked, never blocks).
    func claimDue(now: Timestamp, limit: Int, leaseMilliseconds: Int64) throws -> [SyncEvent] {
        guard limit > 0 else { return [] }
        let leaseEnd = now.adding(milliseconds: leaseMilliseconds)
        return try storage.write { txn in
            var due: [(started: Int64, id: TypeID)] = []
            let nowKey = IndexKey.biased(now.millisecondsSince1970)
            try txn.forEachKey(withPrefix: [IndexKind.due.rawValue]) { key in
                guard key.count == 33 else { throw StorageError.corrupted("due index entry of \(key.count) bytes") }
                if key.loadUnaligned(fromByteOffset: 1, as: UInt64.self).bigEndian > nowKey { return false }
                let started = IndexKey.unbiased(key.loadUnaligned(fromByteOffset: 9, as: UInt64.self).bigEndian)
                due.append((started, IndexKey.idAtEnd(of: key)))
                return true
            }
            due.sort { a, b in a.started != b.started ? a.started < b.started : a.id < b.id }
            var claimed: [SyncEvent] = []
            var decided = Set<TypeID>()  // targets already claimed or found running in this call
            for (_, id) in due {
                if claimed.count == limit { break }
                guard var event = try txn.loadEvent(id) else {
                    throw StorageError.corrupted("due index names missing event \(id)")
                }
                if let target = event.connectorTargetId {
                    if !decided.insert(target).inserted { continue }
                    if try txn.hasKey(withPrefix: IndexKey.prefix(.targetStatus, target.bytes, [EventStatus.running.code])) {
                        continue
                    }
                }
                event.status = .running
                try txn.storeRecord(event, leaseExpiresAt: leaseEnd)
                claimed.append(event)
            }
            return claimed
        }
    }

    /// Error messages longer than this many characters are cut before they go into the summary.
    static var maximumErrorLength: Int { 2000 }

    /// Loads `id` inside `txn` and checks it is `running`, else throws the typed refusal.
    static func runningEvent(_ txn: some StorageReadTransaction, _ id: TypeID, operation: String) throws -> SyncEvent {
        guard let event = try txn.loadEvent(id) else { throw SyncEventStoreError.notFound(id) }
        guard event.status == .running else {
            throw SyncEventStoreError.invalidTransition(id: id, status: event.status, operation: operation)
        }
        return event
    }

    /// Finishes a `running` event as `completed`, `partial` or `ignored`: merges `summary` into
    /// `summaryJson` (existing keys replaced in place, new keys appended), sets `completedAt` to `now`
    /// and clears `nextAttemptAt`.
    func finish(id: TypeID, as outcome: FinishStatus, summary: JSONObject?, now: Timestamp) throws -> SyncEvent {
        try storage.write { txn in
            var event = try Engine.runningEvent(txn, id, operation: "finish")
            event.status = outcome.status
            if let summary {
                var merged = event.summaryJson ?? JSONObject()
                for (k, v) in summary { merged[k] = v }
                event.summaryJson = merged
            }
            event.completedAt = now
            event.nextAttemptAt = nil
            try event.validate(limits: limits)
            try txn.storeRecord(event)
            return event
        }
    }

    /// Records a failed attempt of a `running` event (BEHAVIOUR.md §6, the reference's worker):
    /// `attemptCount` + 1 and `lastError` merged into the summary; if `transient` and attempts remain,
    /// back to `queued` with `nextAttemptAt = now + backoff`; otherwise `failed` with `completedAt`,
    /// `error` and `outcome: "failed"`. `jitterUnit` is a uniform draw in 0..<1.
    func fail(id: TypeID, error message: String, transient: Bool, now: Timestamp, policy: RetryPolicy, jitterUnit: Double)
        throws -> FailResult
    {
        try storage.write { txn in
            var event = try Engine.runningEvent(txn, id, operation: "fail")
            let attempts = event.attemptCount + 1
            let retry = transient && attempts < policy.maximumAttempts
            let message = message.count > Engine.maximumErrorLength
                ? String(message.prefix(Engine.maximumErrorLength)) : message
            var summary = event.summaryJson ?? JSONObject()
            summary["lastError"] = .string(message)
            if !retry {
                summary["error"] = .string(message)
                summary["outcome"] = .string("failed")
            }
            event.summaryJson = summary
            event.attemptCount = attempts
            if retry {
                event.status = .queued
                event.completedAt = nil
                event.nextAttemptAt = now.adding(
                    milliseconds: policy.delayMilliseconds(afterAttempt: attempts, unit: jitterUnit))
            } else {
                event.status = .failed
                event.completedAt = now
                event.nextAttemptAt = nil
            }
            try event.validate(limits: limits)
            try txn.storeRecord(event)
            return retry ? .retryScheduled(event) : .failed(event)
        }
    }

    /// Re-queues any event as the reference's retry does: `queued`, `attemptCount` 0, `completedAt` and
    /// `nextAttemptAt` null, `startedAt` now; the summary is kept.
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

    /// Puts back every `running` event whose lease expired (`leaseExpiresAt <= now`): `queued`, due now
    /// (`nextAttemptAt` null), `attemptCount` + 1, `lastError: "lease expired"` merged into the summary.
    /// Served from the `lease` index.
    func reclaimExpired(now: Timestamp, limit: Int) throws -> [SyncEvent] {
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
                event.status = .queued
                event.attemptCount = min(event.attemptCount + 1, limits.maximumAttemptCount)
                event.nextAttemptAt = nil
                let before = event.summaryJson
                var summary = before ?? JSONObject()
                summary["lastError"] = .string("lease expired")
                event.summaryJson = summary
                if (try? event.validate(limits: limits)) == nil { event.summaryJson = before }
                try txn.storeRecord(event)
                reclaimed.append(event)
            }
            return reclaimed
        }
    }
}
