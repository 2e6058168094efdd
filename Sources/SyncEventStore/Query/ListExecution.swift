/// Plans and runs one page of the list endpoint inside a read transaction.
///
/// The plan picks index streams so that the walk touches only entries that can match:
/// - the instance dimension: the one instance asked for, or the union of a member's instances
///   (each through `status ‖ instance` when a status is asked for, else `instance`);
/// - else `status`, when asked for; then `target` when asked for, else `eventType` when asked for (a
///   target's few events are cheaper to check one by one than to intersect with a dense stream);
/// - the organization stream only when nothing else applies.
/// The streams are intersected by leapfrogging, each candidate is checked against the record itself for
/// what the streams do not guarantee (``Guarantees``; `q` always), and the walk stops after `limit + 1`
/// matches.
struct ListExecution<Txn: StorageReadTransaction> {
    let txn: Txn
    let request: ListRequest
    let viewer: Viewer
    let secret: [UInt8]

    /// Why a request has no valid page.
    enum Refusal: Error { case cursor(PageCursor.Failure) }

    /// The result: how many events were emitted and the next cursor.
    struct Outcome {
        var count: Int
        var nextCursor: String?
        /// Records read by the walk (matching or not): the page's work, for tests that bound it.
        var recordsRead = 0
    }

    private var organizationBytes: [UInt8] { viewer.organization.bytes }

    /// The instances the walk is limited to: `nil` for every instance of the organization.
    private var instanceScope: [TypeID]? {
        switch (viewer, request.connectorInstanceId) {
        case (.admin, nil): return nil
        case (.admin, let i?): return [i]
        case (.member(_, let visible), nil): return visible.sorted()
        case (.member(_, let visible), let i?): return visible.contains(i) ? [i] : []
        }
    }

    /// What the streams of a plan already guarantee of every entry they yield, so that the walk checks
    /// on the record only the rest (`q` is always checked: its candidates are a superset).
    struct Guarantees {
        /// The entry is the viewer's organization's, visible to the viewer and of the instance asked for.
        var scope = false
        var status = false
        var target = false
        var eventType = false

        /// Nothing guaranteed: a record reached by id (a `cse_…` cursor) is checked in full.
        static var none: Guarantees { Guarantees() }
    }

    /// The guarantees of ``streams(needle:wide:)`` for the same `wide`.
    func guarantees(wide: Bool) -> Guarantees {
        // Every stream is inside the organization's key range. The instance dimension is the one
        // instance asked for or the member's instances, unless the wide walk reads the organization's
        // stream; an admin without an instance filter sees every instance.
        let scoped: Bool
        switch viewer {
        case .admin: scoped = true
        case .member: scoped = !wide
        }
        // The status comes from `status ‖ instance` or `status`; the target always has its stream; the
        // event type has one only without a target.
        return Guarantees(
            scope: scoped, status: request.status != nil, target: request.connectorTargetId != nil,
            eventType: request.eventType != nil && request.connectorTargetId == nil)
    }

    /// Whether a stored record passes every filter, the visibility rules and `q`, given what the plan
    /// guarantees.
    func matches(_ r: RecordView, needle: LowercasedNeedle?, guaranteed: Guarantees = .none) -> Bool {
        if !guaranteed.scope {
            // Two 64-bit loads, not a byte-wise compare against a fresh array per record.
            guard r.organizationId == viewer.organization else { return false }
            let instance = r.connectorInstanceId
            guard viewer.canSee(instance: instance) else { return false }
            if let i = request.connectorInstanceId, i != instance { return false }
        }
        if !guaranteed.target, let t = request.connectorTargetId, r.connectorTargetId != t { return false }
        if !guaranteed.eventType, let e = request.eventType, r.eventTypeCode != e.code { return false }
        if !guaranteed.status, let s = request.status, r.statusCode != s.code { return false }
        if let needle, !r.withSearchText({ needle.isContained(in: $0) }) { return false }
        return true
    }

    /// Where the page starts: the first order key after the cursor's position.
    func start(binding: [UInt8], needle: LowercasedNeedle?) throws -> OrderKey? {
        guard let text = request.cursor else { return .minimum }
        let position: ListPosition
        if text.hasPrefix("cse_") {
            // The reference's cursor: the id of the last event seen, if it is one this query could return.
            guard let id = TypeID.parse(text, prefix: .event),
                let found = try txn.withValue(.events, id.bytes, { bytes -> ListPosition? in
                    let r = try RecordView(bytes)
                    return matches(r, needle: needle) ? ListPosition(startedAt: r.startedAt.millisecondsSince1970, id: id) : nil
                }), let found
            else { throw Refusal.cursor(.unknownEvent) }
            position = found
        } else {
            do { position = try PageCursor.decode(text, binding: binding, secret: secret) } catch {
                throw Refusal.cursor(error)
            }
        }
        return position.orderKey.successor
    }

    /// Most candidates the `q` index may hand over before the walk checks records instead, in a small
    /// organization; a large one raises it (``SearchIndex/candidateBudget(_:org:pageSize:floor:balance:)``).
    var searchCandidateLimit = 4096
    /// See `Configuration.searchBalance`.
    var searchBalance = 0.5

    /// A member who sees more instances than this first walks the organization's stream and checks
    /// visibility on each record (cheap when most events are visible), within a budget; past the budget
    /// the walk switches to the union of the member's instance streams at the position it reached.
    static var wideMemberThreshold: Int { 32 }

    /// Whether to try the organization-wide walk first (see ``wideMemberThreshold``).
    var prefersWideWalk: Bool {
        guard case .member(_, let visible) = viewer, request.connectorInstanceId == nil,
            request.connectorTargetId == nil
        else { return false }
        return visible.count > Self.wideMemberThreshold
    }

    func streams(needle: LowercasedNeedle?, wide: Bool = false) throws -> [OrderStream<Txn.Cursor>]? {
        let org = organizationBytes
        var streams: [OrderStream<Txn.Cursor>] = []
        if let needle, !needle.isEmpty,
            let keys = try SearchIndex.candidates(
                txn, org: org, needle: needle.bytes,
                maximum: SearchIndex.candidateBudget(
                    txn, org: org, pageSize: request.limit + 1, floor: searchCandidateLimit, balance: searchBalance))
        {
            if keys.isEmpty { return nil }
            streams.append(OrderStream(keys: keys))
        }
        func range(_ prefix: [UInt8], valueCode: UInt8? = nil) throws -> RangeStream<Txn.Cursor> {
            RangeStream(cursor: try txn.makeCursor(.indexes), prefix: prefix, valueCode: valueCode)
        }
        if !wide, let scope = instanceScope {
            if scope.isEmpty { return nil }
            let parts = try scope.map { instance in
                try range(
                    request.status.map { IndexKey.prefix(.instanceStatus, org, [$0.code], instance.bytes) }
                        ?? IndexKey.prefix(.instance, org, instance.bytes))
            }
            streams.append(parts.count == 1 ? OrderStream(range: parts[0]) : OrderStream(union: parts))
        } else if let s = request.status {
            streams.append(OrderStream(range: try range(IndexKey.prefix(.status, org, [s.code]))))
        }
        if let t = request.connectorTargetId {
            // A target holds few events: walking it is cheaper than leapfrogging into the (dense) event-type
            // stream. Its entries carry the event type, so the other types are passed over without reading
            // their records (entries written before they carried it are checked on the record).
            streams.append(OrderStream(range: try range(IndexKey.prefix(.target, org, t.bytes), valueCode: request.eventType?.code)))
        } else if let e = request.eventType {
            streams.append(OrderStream(range: try range(IndexKey.prefix(.eventType, org, [e.code]))))
        }
        if streams.isEmpty { streams.append(OrderStream(range: try range(IndexKey.prefix(.organization, org)))) }
        return streams
    }

    /// Walks the page, calling `emit` for each of up to `limit` matching records in order.
    func run(_ emit: (RecordView) throws -> Void) throws -> Outcome {
        let binding = PageCursor.binding(request, viewer)
        let needle = request.q.map(LowercasedNeedle.init)
        guard let first = try start(binding: binding, needle: needle) else { return Outcome(count: 0, nextCursor: nil) }
        var wide = prefersWideWalk
        guard let streams = try streams(needle: needle, wide: wide) else { return Outcome(count: 0, nextCursor: nil) }
        var walk = Intersection(streams: streams)
        var guaranteed = guarantees(wide: wide)
        // One cursor for the page's records: neighbours in list order are often neighbours in id order
        // (ids are UUIDv7 of `startedAt`), and a look-up on the cursor's current leaf skips the descent.
        var records = try txn.makeCursor(.events)
        var budget = 4 * request.limit + 64
        var position: OrderKey? = first
        var count = 0
        var recordsRead = 0
        var last: OrderKey?
        while let p = position, let key = try walk.seek(p) {
            if wide {
                budget -= 1
                if budget < 0 {
                    // Few of the organization's events are visible: walk the member's own streams instead.
                    wide = false
                    guard let narrow = try self.streams(needle: needle) else { break }
                    walk = Intersection(streams: narrow)
                    guaranteed = guarantees(wide: false)
                    continue
                }
            }
            recordsRead += 1
            let matched = try key.withIDBytes { id in
                try records.withValue(at: id) { bytes -> Bool in
                    let r = try RecordView(bytes)
                    guard matches(r, needle: needle, guaranteed: guaranteed) else { return false }
                    if count < request.limit { try emit(r) }
                    return true
                }
            } ?? false
            if matched {
                if count == request.limit {
                    let cursor = PageCursor.encode(
                        ListPosition(startedAt: last!.startedAt, id: last!.id), binding: binding, secret: secret)
                    return Outcome(count: count, nextCursor: cursor, recordsRead: recordsRead)
                }
                count += 1
                last = key
            }
            position = key.successor
        }
        return Outcome(count: count, nextCursor: nil, recordsRead: recordsRead)
    }
}

extension Engine {
    /// The walk of one page in `txn`, with the engine's cursor secret and candidate limit.
    func makeExecution(_ txn: S.ReadTxn, _ request: ListRequest, _ viewer: Viewer) throws -> ListExecution<S.ReadTxn> {
        var execution = ListExecution(txn: txn, request: request, viewer: viewer, secret: try currentSecret(txn))
        execution.searchCandidateLimit = searchCandidateLimit
        execution.searchBalance = searchBalance
        return execution
    }

    /// One page as the endpoint's 200 body, or the 400 body when the cursor is refused.
    func listResponse(_ request: ListRequest, as viewer: Viewer) throws -> ListResponse {
        try storage.read { txn in
            var body: [UInt8] = Array(#"{"items":["#.utf8)
            body.reserveCapacity(request.limit * 640 + 128)
            let execution = try makeExecution(txn, request, viewer)
            let outcome: ListExecution<S.ReadTxn>.Outcome
            do {
                outcome = try execution.run { r in
                    if body.count > 10 { body.append(UInt8(ascii: ",")) }
                    r.writeJSON(to: &body)
                }
            } catch ListExecution<S.ReadTxn>.Refusal.cursor(let failure) {
                let error = InvalidRequestError(details: [PageCursor.issue(failure)])
                return ListResponse(status: 400, body: error.jsonBody(), itemCount: 0)
            }
            body.append(contentsOf: #"],"nextCursor":"#.utf8)
            if let c = outcome.nextCursor {
                JSONWriter.writeString(c, to: &body)
            } else {
                body.append(contentsOf: "null".utf8)
            }
            body.append(UInt8(ascii: "}"))
            return ListResponse(status: 200, body: body, itemCount: outcome.count)
        }
    }

    /// How many records the walk of one page reads (internal: tests bound the work of a plan with it).
    func recordsRead(listing request: ListRequest, as viewer: Viewer) throws -> Int {
        try storage.read { txn in
            let execution = try makeExecution(txn, request, viewer)
            return try execution.run { _ in }.recordsRead
        }
    }

    /// One page as events.
    func list(_ request: ListRequest, as viewer: Viewer) throws -> Page {
        try storage.read { txn in
            var events: [SyncEvent] = []
            let execution = try makeExecution(txn, request, viewer)
            do {
                let outcome = try execution.run { r in events.append(try RecordCodec.decode(r.bytes)) }
                return Page(events: events, nextCursor: outcome.nextCursor)
            } catch ListExecution<S.ReadTxn>.Refusal.cursor(let failure) {
                throw SyncEventStoreError.invalidRequest(InvalidRequestError(details: [PageCursor.issue(failure)]))
            }
        }
    }
}

extension SyncEventStore {
    /// Answers `GET /v1/connector-sync-events` from raw query items (names may repeat; unknown names are
    /// ignored): status 200 with the page body, or 400 with the invalid-request body of the spec.
    ///
    /// ```swift
    /// let response = try store.listResponse(
    ///     query: [QueryItem(name: "status", value: "failed"), QueryItem(name: "limit", value: "20")],
    ///     as: .admin(organization: org))
    /// // response.status == 200, response.body is the exact JSON to send
    /// ```
    public func listResponse(query: [QueryItem], as viewer: Viewer) throws(SyncEventStoreError) -> ListResponse {
        switch ListRequest.parse(query) {
        case .failure(let error):
            return ListResponse(status: 400, body: error.jsonBody(), itemCount: 0)
        case .success(let request):
            return try mapErrors {
                switch backend {
                case .lmdb(let e): return try e.listResponse(request, as: viewer)
                case .memory(let e): return try e.listResponse(request, as: viewer)
                }
            }
        }
    }

    /// One page of events for a typed request.
    /// - Throws: ``SyncEventStoreError/invalidRequest(_:)`` for a refused cursor or out-of-range values.
    public func list(_ request: ListRequest, as viewer: Viewer) throws(SyncEventStoreError) -> Page {
        let request = try mapErrors { try request.validated() }
        return try mapErrors {
            switch backend {
            case .lmdb(let e): return try e.list(request, as: viewer)
            case .memory(let e): return try e.list(request, as: viewer)
            }
        }
    }
}

extension SyncEventStore {
    /// How many records the walk of one page reads, matching or not (internal: tests bound the work of a
    /// plan with it, since timing is no test).
    func recordsRead(listing request: ListRequest, as viewer: Viewer) throws -> Int {
        switch backend {
        case .lmdb(let e): return try e.recordsRead(listing: request, as: viewer)
        case .memory(let e): return try e.recordsRead(listing: request, as: viewer)
        }
    }
}
