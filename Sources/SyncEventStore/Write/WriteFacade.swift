/// The write side's engine operations, so the facade reaches either backend through one existential.
protocol WriteSideEngine: Sendable {
    func enqueuePush(_ candidate: SyncEvent) throws -> PushEnqueueResult
    func claimDue(now: Timestamp, limit: Int, leaseMilliseconds: Int64) throws -> [Claim]
    func finish(_ claim: Claim, as outcome: FinishStatus, summary: JSONObject?, now: Timestamp) throws -> SyncEvent
    func fail(_ claim: Claim, error: String, transient: Bool, now: Timestamp, policy: RetryPolicy, jitterUnit: Double)
        throws -> FailResult
    func extendLease(_ claim: Claim, byMilliseconds: Int64, now: Timestamp) throws -> Claim
    func retry(id: TypeID, now: Timestamp) throws -> SyncEvent
    func reclaimExpired(now: Timestamp, limit: Int, policy: RetryPolicy) throws -> [SyncEvent]
    func latestCompleted(target: TypeID) throws -> SyncEvent?
    func hasActiveEvent(target: TypeID) throws -> Bool
    func event(id: TypeID, as viewer: Viewer) throws -> EventLookup
    func deleteEvents(organization: TypeID, instances: [TypeID]) throws -> Int
    func deleteEvents(organization: TypeID) throws -> Int
    func prune(olderThan cutoff: Timestamp, keepingLatest: Int) throws -> Int
    func verifyIndexes(maximumProblems: Int) throws -> [String]
    func verifySearchIndex(maximumProblems: Int) throws -> [String]
}

extension Engine: WriteSideEngine {}

extension SyncEventStore {
    var writeSide: any WriteSideEngine {
        switch backend {
        case .lmdb(let e): return e
        case .memory(let e): return e
        }
    }

    /// Queues a `push` sync for `target` at commit `sha`, unless a `push` event for that target and SHA
    /// already exists in any status (the reference's de-duplication, answered from an index).
    ///
    /// The new event is `queued`, due at once, with `startedAt = now`, `externalEventRef = deliveryId` and
    /// `sourceRevisionRef = sha`.
    /// - Parameters:
    ///   - target: the connector target (`ctg_…`).
    ///   - sha: the pushed head commit; 1–255 UTF-16 units.
    ///   - organization: the organization (`org_…`) that owns the instance.
    ///   - instance: the connector instance (`cin_…`).
    ///   - remoteId: the repository's full name, if known.
    ///   - deliveryId: the webhook delivery id, stored as `externalEventRef`.
    ///   - summary: the initial `summaryJson` (the reference stores the delivery's metadata there).
    ///   - id: the new event's id; a new UUIDv7 TypeID when `nil`.
    ///   - now: the enqueue time.
    /// - Returns: ``PushEnqueueResult/enqueued(_:)`` with the new event, or
    ///   ``PushEnqueueResult/duplicate(existing:)`` with the event that was already there.
    /// - Throws: ``SyncEventStoreError/invalidRecord(_:)`` or ``SyncEventStoreError/duplicateID(_:)``.
    public func enqueuePush(
        target: TypeID, sha: String, organization: TypeID, instance: TypeID, remoteId: String? = nil,
        deliveryId: String? = nil, summary: JSONObject? = nil, id: TypeID? = nil, now: Timestamp = .now
    ) throws(SyncEventStoreError) -> PushEnqueueResult {
        let event = SyncEvent(
            id: id ?? TypeID.generate(.event, now: now), organizationId: organization, connectorInstanceId: instance,
            connectorTargetId: target, remoteId: remoteId, eventType: .push, externalEventRef: deliveryId,
            sourceRevisionRef: sha, status: .queued, summaryJson: summary, startedAt: now)
        return try mapErrors { try writeSide.enqueuePush(event) }
    }

    /// Claims due work: up to `limit` `queued` events whose `nextAttemptAt` is null or not after `now`,
    /// oldest first (`startedAt`, then `id`), at most one per target, skipping targets that already have a
    /// `running` event. Each claimed event becomes `running`, leased until `now + lease`, with a new fence.
    ///
    /// The claim is one write transaction: two claimers (threads or processes) never get the same event.
    /// An event without a target is never held back by others. A lease too long for a timestamp is cut
    /// to the latest time a record holds (9999-12-31); a negative one counts as zero.
    ///
    /// ```swift
    /// for claim in try store.claimDue(limit: 10, lease: .seconds(300)) {
    ///     try store.finish(claim, as: .completed, summary: ["createdCount": .number(.integer(3))])
    /// }
    /// ```
    /// - Returns: the claims, oldest event first; pass each to ``finish(_:as:summary:now:)``,
    ///   ``fail(_:error:transient:now:policy:)`` or ``extendLease(_:by:now:)``.
    public func claimDue(now: Timestamp = .now, limit: Int, lease: Duration = .seconds(600))
        throws(SyncEventStoreError) -> [Claim]
    {
        try mapErrors { try writeSide.claimDue(now: now, limit: limit, leaseMilliseconds: max(0, lease.milliseconds)) }
    }

    /// Finishes the event `claim` holds as `completed`, `partial` or `ignored`: merges the keys of
    /// `summary` into `summaryJson`, sets `completedAt` to `now` and clears `nextAttemptAt` and the lease.
    ///
    /// A `now` before the event's `startedAt` (a clock that stepped back) is taken as `startedAt`.
    /// - Returns: the event as stored.
    /// - Throws: ``SyncEventStoreError/leaseLost(id:)`` when the claim no longer holds the event (it was
    ///   reclaimed, retried, claimed again, finished or deleted), ``SyncEventStoreError/invalidRecord(_:)``
    ///   when the merged summary breaks a limit; nothing changes then.
    @discardableResult
    public func finish(_ claim: Claim, as outcome: FinishStatus, summary: JSONObject? = nil, now: Timestamp = .now)
        throws(SyncEventStoreError) -> SyncEvent
    {
        try mapErrors { try writeSide.finish(claim, as: outcome, summary: summary, now: now) }
    }

    /// Records a failed attempt of the event `claim` holds: `attemptCount` + 1 and `lastError` in the
    /// summary; when `transient` and attempts remain under `policy`, back to `queued` with
    /// `nextAttemptAt` = `now` + the jittered backoff; otherwise `failed` with `completedAt`, `error` and
    /// `outcome: "failed"`.
    ///
    /// `random` draws the jitter (inject a ``SeededRandomSource`` for reproducible schedules). A failure
    /// can always be recorded: the message is cut to 2,000 UTF-8 bytes, and shorter when the summary would
    /// pass ``RecordLimits/maximumSummaryBytes``. A `now` before `startedAt` is taken as `startedAt`.
    /// - Throws: ``SyncEventStoreError/leaseLost(id:)`` when the claim no longer holds the event; nothing
    ///   changes then.
    @discardableResult
    public func fail(
        _ claim: Claim, error: String, transient: Bool, now: Timestamp = .now, policy: RetryPolicy = RetryPolicy(),
        random: inout some RandomSource
    ) throws(SyncEventStoreError) -> FailResult {
        let unit = random.nextUnit()
        return try mapErrors {
            try writeSide.fail(claim, error: error, transient: transient, now: now, policy: policy, jitterUnit: unit)
        }
    }

    /// ``fail(_:error:transient:now:policy:random:)`` with the system's random generator for the jitter.
    @discardableResult
    public func fail(
        _ claim: Claim, error: String, transient: Bool, now: Timestamp = .now, policy: RetryPolicy = RetryPolicy()
    ) throws(SyncEventStoreError) -> FailResult {
        var random = SystemRandomSource()
        return try fail(claim, error: error, transient: transient, now: now, policy: policy, random: &random)
    }

    /// The worker's heartbeat: the lease of the event `claim` holds now runs until `now + duration`
    /// (clamped as in ``claimDue(now:limit:lease:)``). The fence does not change.
    /// - Returns: the claim with its new ``Claim/leaseExpiresAt``.
    /// - Throws: ``SyncEventStoreError/leaseLost(id:)`` when the claim no longer holds the event.
    @discardableResult
    public func extendLease(_ claim: Claim, by duration: Duration, now: Timestamp = .now)
        throws(SyncEventStoreError) -> Claim
    {
        try mapErrors { try writeSide.extendLease(claim, byMilliseconds: max(0, duration.milliseconds), now: now) }
    }

    /// Re-queues an event in any status, as the reference's retry: `queued`, `attemptCount` 0,
    /// `completedAt` and `nextAttemptAt` null, `startedAt` = `now` (so it moves to the top of the list);
    /// the summary is kept.
    ///
    /// Retrying a `running` event takes it from its worker: the claim that held it gets
    /// ``SyncEventStoreError/leaseLost(id:)`` from then on, and the event is claimed afresh.
    /// - Throws: ``SyncEventStoreError/notFound(_:)``.
    @discardableResult
    public func retry(id: TypeID, now: Timestamp = .now) throws(SyncEventStoreError) -> SyncEvent {
        try mapErrors { try writeSide.retry(id: id, now: now) }
    }

    /// Rescues up to `limit` `running` events whose lease ran out (at or before `now`), as Oban's Lifeline
    /// or River's rescuer do. The attempt counts: `attemptCount` + 1 and `lastError: "lease expired"` in
    /// the summary. While attempts remain under `policy` the event goes back to `queued`, due at once;
    /// at `policy.maximumAttempts` it is dead-lettered: `failed`, with `completedAt`,
    /// `error: "lease expired"` and `outcome: "failed"`. The claim that held it is refused from then on.
    /// Events recorded as `running` without a claim have no lease and are never reclaimed.
    /// - Returns: the reclaimed events as stored (`queued` or `failed`), by lease expiry.
    @discardableResult
    public func reclaimExpired(now: Timestamp = .now, limit: Int = .max, policy: RetryPolicy = RetryPolicy())
        throws(SyncEventStoreError) -> [SyncEvent]
    {
        try mapErrors { try writeSide.reclaimExpired(now: now, limit: limit, policy: policy) }
    }

    /// The newest `completed` event of `target` (by `startedAt`, then `id`), or `nil`.
    public func latestCompletedEvent(target: TypeID) throws(SyncEventStoreError) -> SyncEvent? {
        try mapErrors { try writeSide.latestCompleted(target: target) }
    }

    /// Whether `target` has a `queued` or a `running` event.
    public func hasActiveEvent(target: TypeID) throws(SyncEventStoreError) -> Bool {
        try mapErrors { try writeSide.hasActiveEvent(target: target) }
    }

    /// One event as `viewer` may see it: ``EventLookup/found(_:)``, ``EventLookup/notFound`` when it is
    /// not in the viewer's organization (HTTP 404), or ``EventLookup/forbidden`` when the viewer holds no
    /// grant on its connector instance (HTTP 403), as the reference answers.
    public func event(id: TypeID, as viewer: Viewer) throws(SyncEventStoreError) -> EventLookup {
        try mapErrors { try writeSide.event(id: id, as: viewer) }
    }

    /// Deletes every event of the connector instance `instance` of `organization`, indexes included.
    ///
    /// Works in transactions of at most 128 events, so claims and enqueues wait behind one chunk (a few
    /// milliseconds), not behind the whole delete. Each chunk is atomic, the whole is not: if it stops
    /// half way (an error, a crash), the events left are intact and calling it again finishes the job.
    /// - Returns: how many events were removed.
    @discardableResult
    public func deleteEvents(ofInstance instance: TypeID, in organization: TypeID) throws(SyncEventStoreError) -> Int {
        try mapErrors { try writeSide.deleteEvents(organization: organization, instances: [instance]) }
    }

    /// Deletes every event of the connector instances `instances` of `organization`, in chunks as
    /// ``deleteEvents(ofInstance:in:)`` does. - Returns: how many events were removed.
    @discardableResult
    public func deleteEvents(ofInstances instances: some Sequence<TypeID>, in organization: TypeID)
        throws(SyncEventStoreError) -> Int
    {
        let list = Array(instances)
        return try mapErrors { try writeSide.deleteEvents(organization: organization, instances: list) }
    }

    /// Deletes every event of `organization`, in chunks as ``deleteEvents(ofInstance:in:)`` does.
    /// - Returns: how many events were removed.
    @discardableResult
    public func deleteEvents(ofOrganization organization: TypeID) throws(SyncEventStoreError) -> Int {
        try mapErrors { try writeSide.deleteEvents(organization: organization) }
    }

    /// Retention (the reference has none): per target (events without a target: per connector instance),
    /// keeps the newest `keepingLatest` events whatever their age and removes the older finished events
    /// (`completed`, `failed`, `partial`, `ignored`) that started before `cutoff`. Never removes
    /// `pending`, `queued` or `running` events.
    ///
    /// Reads only the candidates (finished events that started before `cutoff`, from the status index)
    /// and removes them in transactions of at most 128 events, so claims wait behind one chunk. Each
    /// chunk is atomic; calling it again after an interruption finishes the job.
    /// - Returns: how many events were removed.
    @discardableResult
    public func prune(olderThan cutoff: Timestamp, keepingLatest: Int) throws(SyncEventStoreError) -> Int {
        try mapErrors { try writeSide.prune(olderThan: cutoff, keepingLatest: keepingLatest) }
    }

    /// Checks that every index entry and every search-index entry matches the stored records both ways
    /// (what `syncevents verify` runs).
    /// - Returns: human-readable problems; empty when the store is consistent.
    public func verifyIndexes(maximumProblems: Int = 100) throws(SyncEventStoreError) -> [String] {
        try mapErrors {
            let problems = try writeSide.verifyIndexes(maximumProblems: maximumProblems)
            return problems + (try writeSide.verifySearchIndex(maximumProblems: maximumProblems))
        }
    }
}
