extension SyncEventStore {
    /// The async write API: every write of the store as an `async` function that suspends instead of
    /// blocking a thread of the cooperative pool.
    ///
    /// ```swift
    /// let result = try await store.async.enqueuePush(target: target, sha: sha, organization: org, instance: instance)
    /// ```
    ///
    /// Writes of concurrent callers share transactions (group commit): while one commit is in flight,
    /// the writes that arrive are queued and then applied together in the next transaction, with one
    /// durable commit for all of them. Each write still gets its own outcome — a write that throws
    /// (an invalid record, a refused transition) is undone alone and the others commit — and no caller
    /// is resumed before the commit that covers its write returned (after its `fsync` on a durable
    /// store). Writes are applied in the order they arrive. Reads stay synchronous and never wait for a
    /// writer.
    ///
    /// Cancellation: a write whose task is cancelled while it still waits in the queue is dropped and
    /// throws `CancellationError` (nothing was written); once taken into a transaction it runs to its end
    /// and its caller gets its real outcome.
    public var async: AsyncWrites { AsyncWrites(store: self) }

    /// The async writes of one store; see ``SyncEventStore/async``. Each method has the meaning,
    /// arguments and errors of the synchronous method of the same name, and can also throw
    /// `CancellationError`.
    public struct AsyncWrites: Sendable {
        let store: SyncEventStore

        /// Runs `body` with the store in the next group commit: its writes commit together, or none of
        /// them when it throws. Use it for writes without an async variant, or several writes that belong
        /// together. `body` must not wait for other async writes, and may run more than once (when the map
        /// grows), so it must have no effects outside the store.
        public func perform<R: Sendable>(_ body: @escaping @Sendable (SyncEventStore) throws -> R) async throws -> R {
            let store = self.store
            return try await store.committer.submit { try store.write { _ in try body(store) } }
        }

        private func submit<R: Sendable>(_ body: @escaping @Sendable (SyncEventStore) throws -> R) async throws -> R {
            let store = self.store
            return try await store.committer.submit { try body(store) }
        }

        /// ``SyncEventStore/record(_:)``: records one new event.
        public func record(_ event: SyncEvent) async throws {
            try await submit { try $0.record(event) }
        }

        /// ``SyncEventStore/record(contentsOf:)``: records new events, all or none.
        public func record(contentsOf events: [SyncEvent]) async throws {
            try await submit { try $0.record(contentsOf: events) }
        }

        /// ``SyncEventStore/enqueuePush(target:sha:organization:instance:remoteId:deliveryId:summary:id:now:)``.
        public func enqueuePush(
            target: TypeID, sha: String, organization: TypeID, instance: TypeID, remoteId: String? = nil,
            deliveryId: String? = nil, summary: JSONObject? = nil, id: TypeID? = nil, now: Timestamp = .now
        ) async throws -> PushEnqueueResult {
            try await submit {
                try $0.enqueuePush(
                    target: target, sha: sha, organization: organization, instance: instance, remoteId: remoteId,
                    deliveryId: deliveryId, summary: summary, id: id, now: now)
            }
        }

        /// ``SyncEventStore/retry(id:now:)``.
        @discardableResult
        public func retry(id: TypeID, now: Timestamp = .now) async throws -> SyncEvent {
            try await submit { try $0.retry(id: id, now: now) }
        }

        /// ``SyncEventStore/reclaimExpired(now:limit:policy:)``.
        @discardableResult
        public func reclaimExpired(now: Timestamp = .now, limit: Int = .max, policy: RetryPolicy = RetryPolicy())
            async throws -> [SyncEvent]
        {
            try await submit { try $0.reclaimExpired(now: now, limit: limit, policy: policy) }
        }

        // The chunked deletes and `prune` below let waiting writers in between chunks when called
        // synchronously; here they run inside one group commit, where every chunk nests into the group's
        // transaction: the whole call is one transaction (all of it commits, or none of it), and the other
        // async writes of the group wait for it.

        /// ``SyncEventStore/deleteEvents(ofInstance:in:)``.
        @discardableResult
        public func deleteEvents(ofInstance instance: TypeID, in organization: TypeID) async throws -> Int {
            try await submit { try $0.deleteEvents(ofInstance: instance, in: organization) }
        }

        /// ``SyncEventStore/deleteEvents(ofInstances:in:)``.
        @discardableResult
        public func deleteEvents(ofInstances instances: [TypeID], in organization: TypeID) async throws -> Int {
            try await submit { try $0.deleteEvents(ofInstances: instances, in: organization) }
        }

        /// ``SyncEventStore/deleteEvents(ofOrganization:)``.
        @discardableResult
        public func deleteEvents(ofOrganization organization: TypeID) async throws -> Int {
            try await submit { try $0.deleteEvents(ofOrganization: organization) }
        }

        /// ``SyncEventStore/prune(olderThan:keepingLatest:)``.
        @discardableResult
        public func prune(olderThan cutoff: Timestamp, keepingLatest: Int) async throws -> Int {
            try await submit { try $0.prune(olderThan: cutoff, keepingLatest: keepingLatest) }
        }

        /// ``SyncEventStore/claimDue(now:limit:lease:)``.
        public func claimDue(now: Timestamp = .now, limit: Int, lease: Duration = .seconds(600)) async throws
            -> [Claim]
        {
            try await submit { try $0.claimDue(now: now, limit: limit, lease: lease) }
        }

        /// ``SyncEventStore/finish(_:as:summary:now:)``.
        @discardableResult
        public func finish(_ claim: Claim, as outcome: FinishStatus, summary: JSONObject? = nil, now: Timestamp = .now)
            async throws -> SyncEvent
        {
            try await submit { try $0.finish(claim, as: outcome, summary: summary, now: now) }
        }

        /// ``SyncEventStore/fail(_:error:transient:now:policy:)``, the jitter drawn by the system's generator.
        @discardableResult
        public func fail(
            _ claim: Claim, error: String, transient: Bool, now: Timestamp = .now, policy: RetryPolicy = RetryPolicy()
        ) async throws -> FailResult {
            try await submit { try $0.fail(claim, error: error, transient: transient, now: now, policy: policy) }
        }

        /// ``SyncEventStore/extendLease(_:by:now:)``.
        public func extendLease(_ claim: Claim, by duration: Duration, now: Timestamp = .now) async throws -> Claim {
            try await submit { try $0.extendLease(claim, by: duration, now: now) }
        }
    }
}
