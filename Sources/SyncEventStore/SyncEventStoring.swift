/// The store's operations, whatever keeps the events: the embedded ``SyncEventStore`` (LMDB or in
/// memory) and the PostgreSQL store of the `SyncEventStorePostgres` product both implement it, with the
/// same answers, the same page bodies and the same cursors.
///
/// Write code that serves the API or runs workers against `some SyncEventStoring` and choose the backend
/// in configuration. The requirements are `async` so that a networked backend can implement them; the
/// embedded store's synchronous methods satisfy them (they never suspend).
///
/// ```swift
/// func firstPage(_ store: some SyncEventStoring, org: TypeID) async throws -> ListResponse {
///     try await store.listResponse(query: [QueryItem(name: "limit", value: "20")], as: .admin(organization: org))
/// }
/// ```
public protocol SyncEventStoring: Sendable {
    /// Answers `GET /v1/connector-sync-events` from raw query items: 200 with the page body, or 400 with
    /// the invalid-request body of the spec (see ``SyncEventStore/listResponse(query:as:)``).
    func listResponse(query: [QueryItem], as viewer: Viewer) async throws(SyncEventStoreError) -> ListResponse
    /// One page of events for a typed request (see ``SyncEventStore/list(_:as:)``).
    func list(_ request: ListRequest, as viewer: Viewer) async throws(SyncEventStoreError) -> Page
    /// The event with this id, or `nil`, whoever asks.
    func event(id: TypeID) async throws(SyncEventStoreError) -> SyncEvent?
    /// One event as `viewer` may see it: found, 404 or 403 (see ``SyncEventStore/event(id:as:)``).
    func event(id: TypeID, as viewer: Viewer) async throws(SyncEventStoreError) -> EventLookup
    /// The number of events in the store.
    var count: Int { get async throws(SyncEventStoreError) }

    /// Records one new event (see ``SyncEventStore/record(_:)``).
    func record(_ event: SyncEvent) async throws(SyncEventStoreError)
    /// Records new events in one transaction: all of them, or none.
    func record(contentsOf events: [SyncEvent]) async throws(SyncEventStoreError)

    /// Queues a `push` sync unless one exists for the target and SHA (see
    /// ``SyncEventStore/enqueuePush(target:sha:organization:instance:remoteId:deliveryId:summary:id:now:)``).
    func enqueuePush(
        target: TypeID, sha: String, organization: TypeID, instance: TypeID, remoteId: String?,
        deliveryId: String?, summary: JSONObject?, id: TypeID?, now: Timestamp
    ) async throws(SyncEventStoreError) -> PushEnqueueResult
    /// Claims due work under fenced leases (see ``SyncEventStore/claimDue(now:limit:lease:)``).
    func claimDue(now: Timestamp, limit: Int, lease: Duration) async throws(SyncEventStoreError) -> [Claim]
    /// Finishes the event a claim holds (see ``SyncEventStore/finish(_:as:summary:now:)``).
    func finish(_ claim: Claim, as outcome: FinishStatus, summary: JSONObject?, now: Timestamp)
        async throws(SyncEventStoreError) -> SyncEvent
    /// Records a failed attempt of the event a claim holds (see ``SyncEventStore/fail(_:error:transient:now:policy:)``).
    func fail(_ claim: Claim, error: String, transient: Bool, now: Timestamp, policy: RetryPolicy)
        async throws(SyncEventStoreError) -> FailResult
    /// Records a failed attempt, drawing the back-off jitter from `random` (see
    /// ``SyncEventStore/fail(_:error:transient:now:policy:random:)``).
    func fail(_ claim: Claim, error: String, transient: Bool, now: Timestamp, policy: RetryPolicy, random: inout some RandomSource)
        async throws(SyncEventStoreError) -> FailResult
    /// The worker's heartbeat (see ``SyncEventStore/extendLease(_:by:now:)``).
    func extendLease(_ claim: Claim, by duration: Duration, now: Timestamp) async throws(SyncEventStoreError) -> Claim
    /// Re-queues an event in any status (see ``SyncEventStore/retry(id:now:)``).
    func retry(id: TypeID, now: Timestamp) async throws(SyncEventStoreError) -> SyncEvent
    /// Rescues running events whose lease ran out (see ``SyncEventStore/reclaimExpired(now:limit:policy:)``).
    func reclaimExpired(now: Timestamp, limit: Int, policy: RetryPolicy) async throws(SyncEventStoreError) -> [SyncEvent]
    /// The newest `completed` event of `target`, or `nil`.
    func latestCompletedEvent(target: TypeID) async throws(SyncEventStoreError) -> SyncEvent?
    /// Whether `target` has a `queued` or a `running` event.
    func hasActiveEvent(target: TypeID) async throws(SyncEventStoreError) -> Bool
    /// Deletes every event of one connector instance of `organization`. - Returns: how many.
    func deleteEvents(ofInstance instance: TypeID, in organization: TypeID) async throws(SyncEventStoreError) -> Int
    /// Deletes every event of the connector instances `instances` of `organization`. - Returns: how many.
    func deleteEvents(ofInstances instances: [TypeID], in organization: TypeID) async throws(SyncEventStoreError) -> Int
    /// Deletes every event of `organization`. - Returns: how many.
    func deleteEvents(ofOrganization organization: TypeID) async throws(SyncEventStoreError) -> Int
    /// Retention (see ``SyncEventStore/prune(olderThan:keepingLatest:)``). - Returns: how many were removed.
    func prune(olderThan cutoff: Timestamp, keepingLatest: Int) async throws(SyncEventStoreError) -> Int
    /// Checks the store's own consistency (what `syncevents verify` runs); empty when consistent.
    func verifyIndexes(maximumProblems: Int) async throws(SyncEventStoreError) -> [String]
    /// Every event (or one organization's), in id order, in batches of at most `batchSize`, calling
    /// `body` once per batch; `body` returns `false` to stop.
    func exportEvents(organization: TypeID?, batchSize: Int, _ body: ([SyncEvent]) throws -> Bool)
        async throws(SyncEventStoreError)
}

extension SyncEventStore: SyncEventStoring {
    /// Records new events in one transaction (the array form of `record(contentsOf:)` of a sequence).
    public func record(contentsOf events: [SyncEvent]) throws(SyncEventStoreError) {
        try record(contentsOf: events[...])
    }

    /// Deletes every event of the connector instances `instances` of `organization` in one transaction
    /// (the array form of `deleteEvents(ofInstances:in:)` of a sequence). - Returns: how many.
    @discardableResult
    public func deleteEvents(ofInstances instances: [TypeID], in organization: TypeID) throws(SyncEventStoreError) -> Int {
        try deleteEvents(ofInstances: instances[...], in: organization)
    }

    /// Every event (or one organization's), in id order, from one snapshot, in batches of `batchSize`.
    public func exportEvents(organization: TypeID?, batchSize: Int, _ body: ([SyncEvent]) throws -> Bool)
        throws(SyncEventStoreError)
    {
        var batch: [SyncEvent] = []
        var failure: (any Error)?
        var stopped = false
        try forEachEvent(organization: organization) { event in
            batch.append(event)
            guard batch.count >= max(1, batchSize) else { return true }
            do { stopped = !(try body(batch)) } catch {
                failure = error
                return false
            }
            batch.removeAll(keepingCapacity: true)
            return !stopped
        }
        if let failure { throw SyncEventStoreError(failure) }
        if !stopped, !batch.isEmpty {
            do { _ = try body(batch) } catch { throw SyncEventStoreError(error) }
        }
    }
}
