/// How failed attempts are retried: the reference's capped exponential backoff with jitter.
///
/// After failure number `n` (the new `attemptCount`), a transient failure is retried when
/// `n < maximumAttempts`, after `min(maximumDelay, baseDelay × 2^(n−1) × jitter)` with `jitter`
/// drawn uniformly from 0.8…1.2, rounded to the millisecond.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts allowed in all, counting the first. Default 5.
    public var maximumAttempts: Int
    /// The delay after the first failure, before jitter. Default 30 seconds.
    public var baseDelay: Duration
    /// The longest delay. Default 15 minutes, as in the reference.
    public var maximumDelay: Duration

    /// Creates a policy.
    public init(maximumAttempts: Int = 5, baseDelay: Duration = .seconds(30), maximumDelay: Duration = .seconds(15 * 60)) {
        self.maximumAttempts = maximumAttempts
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    /// The delay in milliseconds after failure number `attempt` (1-based), for a jitter `unit` in 0..<1.
    public func delayMilliseconds(afterAttempt attempt: Int, unit: Double) -> Int64 {
        let base = Double(max(0, baseDelay.milliseconds))
        let exponential = base * pow2(max(0, attempt - 1))
        let jittered = exponential * (0.8 + unit * 0.4)
        let capped = min(Double(max(0, maximumDelay.milliseconds)), jittered.rounded(.toNearestOrAwayFromZero))
        // Huge delays saturate instead of trapping (2^63 as a Double does not fit an Int64).
        guard capped.isFinite, capped < 0x1p63 else { return capped.isNaN ? 0 : Int64.max }
        return Int64(max(0, capped))
    }

    private func pow2(_ n: Int) -> Double { n >= 1023 ? .infinity : Double(sign: .plus, exponent: n, significand: 1) }
}

extension Duration {
    /// The duration in whole milliseconds (truncated), saturating at the ends of `Int64`.
    package var milliseconds: Int64 {
        let (s, a) = components
        let (ms, overflow) = s.multipliedReportingOverflow(by: 1000)
        if overflow { return s < 0 ? Int64.min : Int64.max }
        let (sum, overflow2) = ms.addingReportingOverflow(a / 1_000_000_000_000_000)
        if overflow2 { return ms < 0 ? Int64.min : Int64.max }
        return sum
    }
}

extension Timestamp {
    /// This time moved by `milliseconds`, clamped to the range a record may hold.
    package func adding(milliseconds: Int64) -> Timestamp {
        let (sum, overflow) = millisecondsSince1970.addingReportingOverflow(milliseconds)
        let ms = overflow ? Timestamp.latest.millisecondsSince1970 : sum
        return Timestamp(millisecondsSince1970: min(max(ms, Timestamp.earliest.millisecondsSince1970), Timestamp.latest.millisecondsSince1970))
    }
}

extension RandomSource {
    /// A uniform double in 0..<1 from the next 53 random bits.
    package mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

/// What ``SyncEventStore/enqueuePush(target:sha:organization:instance:remoteId:deliveryId:summary:id:now:)``
/// did: it queued a new `push` event, or one already existed for that target and SHA.
public enum PushEnqueueResult: Sendable, Equatable {
    /// A new `queued` push event was recorded.
    case enqueued(SyncEvent)
    /// A `push` event for this target and SHA already existed (in any status); nothing was written.
    case duplicate(existing: SyncEvent)

    /// The new or the existing event.
    public var event: SyncEvent {
        switch self {
        case .enqueued(let e), .duplicate(let e): return e
        }
    }

    /// Whether a new event was recorded.
    public var wasEnqueued: Bool {
        if case .enqueued = self { return true }
        return false
    }
}

/// How a worker finished a running event.
public enum FinishStatus: String, Sendable, CaseIterable {
    /// Synced successfully.
    case completed
    /// Synced with some items failed.
    case partial
    /// Nothing to do.
    case ignored

    package var status: EventStatus {
        switch self {
        case .completed: return .completed
        case .partial: return .partial
        case .ignored: return .ignored
        }
    }
}

/// What ``SyncEventStore/fail(_:error:transient:now:policy:)`` did with the event.
public enum FailResult: Sendable, Equatable {
    /// Transient and attempts remain: back to `queued`, due at `nextAttemptAt`.
    case retryScheduled(SyncEvent)
    /// Permanent, or attempts exhausted: `failed`.
    case failed(SyncEvent)

    /// The event as stored.
    public var event: SyncEvent {
        switch self {
        case .retryScheduled(let e), .failed(let e): return e
        }
    }
}

/// The answer to a single-event look-up for a caller, with the reference's HTTP bodies.
///
/// The reference (`ee/apps/den-api`, `GET /v1/connector-sync-events/:connectorSyncEventId`) answers
/// 404 when the event is not in the caller's organization and 403 when it is but the caller holds no
/// grant on its connector instance.
public enum EventLookup: Sendable, Equatable {
    /// The event exists in the caller's organization and is visible to the caller.
    case found(SyncEvent)
    /// No such event in the caller's organization (HTTP 404).
    case notFound
    /// The event is in the caller's organization but its connector instance is not visible (HTTP 403).
    case forbidden

    /// The reference's 404 body: `{"error":"connector_sync_event_not_found","message":"Connector sync event not found."}`.
    public static let notFoundBody: [UInt8] = Array(
        #"{"error":"connector_sync_event_not_found","message":"Connector sync event not found."}"#.utf8)
    /// The reference's 403 body: `{"error":"forbidden","message":"Missing viewer access for connector instance."}`.
    public static let forbiddenBody: [UInt8] = Array(
        #"{"error":"forbidden","message":"Missing viewer access for connector instance."}"#.utf8)

    /// The HTTP status the reference gives: 200, 404 or 403.
    public var httpStatus: Int {
        switch self {
        case .found: return 200
        case .notFound: return 404
        case .forbidden: return 403
        }
    }

    /// The HTTP body the reference gives: `{"item":<event>}`, or the 404/403 body.
    public var responseBody: [UInt8] {
        switch self {
        case .found(let e):
            var out = Array(#"{"item":"#.utf8)
            e.writeJSON(to: &out, includingOrganization: false)
            out.append(UInt8(ascii: "}"))
            return out
        case .notFound: return EventLookup.notFoundBody
        case .forbidden: return EventLookup.forbiddenBody
        }
    }
}
