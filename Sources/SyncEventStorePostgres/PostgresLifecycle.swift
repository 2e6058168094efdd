import Foundation
import PostgresNIO
import SyncEventStore

/// The worker's lifecycle (BEHAVIOUR.md §6) in SQL, with the embedded store's rules: every operation
/// one transaction that locks the rows it changes, claims fenced by a token stored with the row.
extension PostgresSyncEventStore {
    /// Queues a `push` sync unless a `push` event of the target at `sha` exists (see
    /// ``SyncEventStore/enqueuePush(target:sha:organization:instance:remoteId:deliveryId:summary:id:now:)``).
    /// Concurrent enqueues of one target and SHA are serialized by a transaction-scoped advisory lock.
    public func enqueuePush(
        target: TypeID, sha: String, organization: TypeID, instance: TypeID, remoteId: String? = nil,
        deliveryId: String? = nil, summary: JSONObject? = nil, id: TypeID? = nil, now: Timestamp = .now
    ) async throws(SyncEventStoreError) -> PushEnqueueResult {
        let candidate = SyncEvent(
            id: id ?? TypeID.generate(.event, now: now), organizationId: organization, connectorInstanceId: instance,
            connectorTargetId: target, remoteId: remoteId, eventType: .push, externalEventRef: deliveryId,
            sourceRevisionRef: sha, status: .queued, summaryJson: summary, startedAt: now)
        do { try candidate.validate(limits: configuration.limits) } catch { throw .invalidRecord(error) }
        let t = self.t
        let logger = self.logger
        return try await transaction { conn in
            let lockKey = EventRow.textSafe(target.description + "\n" + sha)
            try await conn.query("SELECT pg_advisory_xact_lock(hashtextextended(\(lockKey), 0))", logger: logger)
            let rows = try await conn.query(
                """
                SELECT line FROM \(unescaped: t.events) WHERE organization_id = \(organization.uuid)
                AND connector_target_id = \(target.uuid) AND event_type = 'push'
                AND source_revision_ref = \(EventRow.textSafe(sha)) ORDER BY started_at DESC, id DESC
                """, logger: logger)
            for try await line in rows.decode(ByteBuffer.self) {
                let existing = try EventRow.decode(line)
                if existing.sourceRevisionRef == sha { return .duplicate(existing: existing) }
            }
            if try await self.firstExisting([candidate.id], on: conn) != nil {
                throw SyncEventStoreError.duplicateID(candidate.id)
            }
            try await self.insert([candidate], on: conn)
            return .enqueued(candidate)
        }
    }

    /// Claims due work (see ``SyncEventStore/claimDue(now:limit:lease:)``): the heads of the targets'
    /// queues in claim order, `FOR UPDATE SKIP LOCKED`, so concurrent claimers (in any process or on any
    /// machine) take different events and never two of one target.
    ///
    /// A queued event is claimable when it is due and is the oldest due queued event of its target, and
    /// the target has no `running` event. A concurrent claimer that locked a head makes the rest of that
    /// target unclaimable for this statement (it is still the oldest queued one in the snapshot), and a
    /// head that became `running` meanwhile is re-checked and skipped by PostgreSQL.
    public func claimDue(now: Timestamp = .now, limit: Int, lease: Duration = .seconds(600))
        async throws(SyncEventStoreError) -> [Claim]
    {
        guard limit > 0 else { return [] }
        let leaseEnd = now.adding(milliseconds: max(0, lease.milliseconds))
        let t = self.t
        let logger = self.logger
        let due = "status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)"
        let sql = """
            SELECT e.line FROM \(t.events) e
            WHERE e.\(due.replacingOccurrences(of: "next_attempt_at", with: "e.next_attempt_at"))
            AND (e.connector_target_id IS NULL OR (
                NOT EXISTS (SELECT 1 FROM \(t.events) r WHERE r.organization_id = e.organization_id
                    AND r.connector_target_id = e.connector_target_id AND r.status = 'running')
                AND NOT EXISTS (SELECT 1 FROM \(t.events) o WHERE o.organization_id = e.organization_id
                    AND o.connector_target_id = e.connector_target_id
                    AND o.\(due.replacingOccurrences(of: "next_attempt_at", with: "o.next_attempt_at"))
                    AND (o.started_at, o.id) < (e.started_at, e.id))))
            ORDER BY e.started_at, e.id LIMIT $2
            FOR UPDATE OF e SKIP LOCKED
            """
        return try await transaction { conn in
            var binds = PostgresBindings()
            binds.append(now.millisecondsSince1970)
            binds.append(Int64(min(limit, 100_000)))
            var claims: [Claim] = []
            let rows = try await conn.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            var events: [SyncEvent] = []
            for try await line in rows.decode(ByteBuffer.self) { events.append(try EventRow.decode(line)) }
            for var event in events {
                event.status = .running
                let token = ClaimToken.random()
                try await self.update(event, lease: (leaseEnd, token), on: conn)
                claims.append(Claim(event: event, token: token, leaseExpiresAt: leaseEnd))
            }
            return claims
        }
    }

    /// The event `claim` holds, locked; ``SyncEventStoreError/leaseLost(id:)`` unless it is `running`
    /// under the claim's token.
    func held(_ claim: Claim, on conn: PostgresConnection) async throws -> SyncEvent {
        let rows = try await conn.query(
            """
            SELECT line FROM \(unescaped: t.events) WHERE organization_id = \(claim.event.organizationId.uuid)
            AND id = \(claim.id.uuid) AND status = 'running' AND lease_token = \(Int64(bitPattern: claim.token.value))
            FOR UPDATE
            """, logger: logger)
        for try await line in rows.decode(ByteBuffer.self) { return try EventRow.decode(line) }
        throw SyncEventStoreError.leaseLost(id: claim.id)
    }

    /// Finishes the event a claim holds (see ``SyncEventStore/finish(_:as:summary:now:)``).
    @discardableResult
    public func finish(_ claim: Claim, as outcome: FinishStatus, summary: JSONObject? = nil, now: Timestamp = .now)
        async throws(SyncEventStoreError) -> SyncEvent
    {
        let limits = configuration.limits
        return try await transaction { conn in
            var event = try await self.held(claim, on: conn)
            event.status = outcome.status
            if let summary {
                var merged = event.summaryJson ?? JSONObject()
                for (k, v) in summary { merged[k] = v }
                event.summaryJson = merged
            }
            event.completedAt = max(now, event.startedAt)
            event.nextAttemptAt = nil
            try event.validate(limits: limits)
            try await self.update(event, on: conn)
            return event
        }
    }

    /// Records a failed attempt of the event a claim holds, with the system's random jitter (see
    /// ``SyncEventStore/fail(_:error:transient:now:policy:)``).
    @discardableResult
    public func fail(
        _ claim: Claim, error: String, transient: Bool, now: Timestamp = .now, policy: RetryPolicy = RetryPolicy()
    ) async throws(SyncEventStoreError) -> FailResult {
        var random = SystemRandomSource()
        return try await fail(claim, error: error, transient: transient, now: now, policy: policy, random: &random)
    }

    /// Records a failed attempt, drawing the back-off jitter from `random` (see
    /// ``SyncEventStore/fail(_:error:transient:now:policy:random:)``).
    @discardableResult
    public func fail(
        _ claim: Claim, error message: String, transient: Bool, now: Timestamp = .now, policy: RetryPolicy = RetryPolicy(),
        random: inout some RandomSource
    ) async throws(SyncEventStoreError) -> FailResult {
        let unit = random.nextUnit()
        let limits = configuration.limits
        return try await transaction { conn in
            var event = try await self.held(claim, on: conn)
            let attempts = min(event.attemptCount + 1, limits.maximumAttemptCount)
            let retry = transient && attempts < policy.maximumAttempts
            event.summaryJson = FailureSummary.merge(message, into: event.summaryJson, final: !retry, limits: limits)
            event.attemptCount = attempts
            if retry {
                event.status = .queued
                event.completedAt = nil
                event.nextAttemptAt = now.adding(milliseconds: policy.delayMilliseconds(afterAttempt: attempts, unit: unit))
            } else {
                event.status = .failed
                event.completedAt = max(now, event.startedAt)
                event.nextAttemptAt = nil
            }
            try event.validate(limits: limits)
            try await self.update(event, on: conn)
            return retry ? .retryScheduled(event) : .failed(event)
        }
    }

    /// The worker's heartbeat (see ``SyncEventStore/extendLease(_:by:now:)``).
    @discardableResult
    public func extendLease(_ claim: Claim, by duration: Duration, now: Timestamp = .now) async throws(SyncEventStoreError) -> Claim {
        let end = now.adding(milliseconds: max(0, duration.milliseconds))
        return try await transaction { conn in
            let event = try await self.held(claim, on: conn)
            try await self.update(event, lease: (end, claim.token), on: conn)
            return Claim(event: event, token: claim.token, leaseExpiresAt: end)
        }
    }

    /// Re-queues an event in any status (see ``SyncEventStore/retry(id:now:)``); a running event's claim
    /// is refused from then on.
    @discardableResult
    public func retry(id: TypeID, now: Timestamp = .now) async throws(SyncEventStoreError) -> SyncEvent {
        let limits = configuration.limits
        return try await transaction { conn in
            guard var event = try await self.load(id, forUpdate: true, on: conn) else { throw SyncEventStoreError.notFound(id) }
            event.status = .queued
            event.attemptCount = 0
            event.completedAt = nil
            event.nextAttemptAt = nil
            event.startedAt = now
            try event.validate(limits: limits)
            try await self.update(event, on: conn)
            return event
        }
    }

    /// Rescues running events whose lease ran out (see ``SyncEventStore/reclaimExpired(now:limit:policy:)``),
    /// by lease expiry, `FOR UPDATE SKIP LOCKED`.
    @discardableResult
    public func reclaimExpired(now: Timestamp = .now, limit: Int = .max, policy: RetryPolicy = RetryPolicy())
        async throws(SyncEventStoreError) -> [SyncEvent]
    {
        guard limit > 0 else { return [] }
        let limits = configuration.limits
        let t = self.t
        let logger = self.logger
        return try await transaction { conn in
            let rows = try await conn.query(
                """
                SELECT line FROM \(unescaped: t.events) WHERE status = 'running' AND lease_expires_at IS NOT NULL
                AND lease_expires_at <= \(now.millisecondsSince1970) ORDER BY lease_expires_at, id
                LIMIT \(Int64(min(limit, 1_000_000))) FOR UPDATE SKIP LOCKED
                """, logger: logger)
            var events: [SyncEvent] = []
            for try await line in rows.decode(ByteBuffer.self) { events.append(try EventRow.decode(line)) }
            var reclaimed: [SyncEvent] = []
            for var event in events {
                event.reclaimAfterLeaseExpiry(now: now, policy: policy, limits: limits)
                try event.validate(limits: limits)
                try await self.update(event, on: conn)
                reclaimed.append(event)
            }
            return reclaimed
        }
    }
}
