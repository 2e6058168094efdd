import SyncEventStore

/// One durable write of the crash suite's workload (RELIABILITY.md).
public enum CrashOperation: Sendable, CustomStringConvertible {
    /// `record(_:)` of one event.
    case record(SyncEvent)
    /// `record(contentsOf:)`: all of them or none.
    case recordBatch([SyncEvent])
    /// `enqueuePush(…)` with a fixed id (deduplicated against active pushes of the target).
    case enqueuePush(SyncEvent)
    /// `claimDue(now:limit:)`.
    case claim(now: Timestamp, limit: Int)
    /// `finish(…)` of the last event claimed by this process, if any.
    case finish(outcome: FinishStatus, now: Timestamp)
    /// `fail(…)` of the last event claimed by this process, if any.
    case fail(transient: Bool, now: Timestamp, seed: UInt64)
    /// `retry(id:now:)` of an event recorded earlier (it may have been deleted since: `notFound`).
    case retry(TypeID, now: Timestamp)
    /// `deleteEvents(ofInstance:in:)`.
    case deleteInstance(TypeID, organization: TypeID)
    /// `prune(olderThan:keepingLatest:)`.
    case prune(olderThan: Timestamp, keepingLatest: Int)
    /// `backup(to:)` into `<backup directory>/<name>`.
    case backup(name: String)

    /// A short name for logs.
    public var description: String {
        switch self {
        case .record(let e): return "record \(e.id)"
        case .recordBatch(let es): return "record \(es.count) events"
        case .enqueuePush(let e): return "enqueuePush \(e.id)"
        case .claim(_, let limit): return "claim \(limit)"
        case .finish(let outcome, _): return "finish as \(outcome)"
        case .fail(let transient, _, _): return transient ? "fail transiently" : "fail"
        case .retry(let id, _): return "retry \(id)"
        case .deleteInstance(let id, _): return "delete instance \(id)"
        case .prune(_, let keep): return "prune keeping \(keep)"
        case .backup(let name): return "backup \(name)"
        }
    }
}

/// The deterministic sequence of operations for a seed: the writing child and the checking parent
/// generate the same one. Operation `k` depends only on the seed and `k`'s predecessors in the
/// sequence, never on what the store answered.
public struct CrashWorkload: Sequence, IteratorProtocol, Sendable {
    /// The organizations and their connector instances the events belong to.
    public let organizations: [TypeID]
    public let instances: [(id: TypeID, organization: TypeID)]
    private var random: SeededRandomSource
    private var recorded: [TypeID] = []
    /// The index of the next operation.
    public private(set) var index = 0
    /// The time of operation 0.
    public static let start = Timestamp(millisecondsSince1970: 1_767_225_600_000)  // 2026-01-01

    /// The workload of `seed`.
    public init(seed: UInt64) {
        var r = SeededRandomSource(seed: seed)
        var organizations: [TypeID] = []
        var instances: [(id: TypeID, organization: TypeID)] = []
        for _ in 0..<2 { organizations.append(TypeID(prefix: .organization, high: r.next() >> 2, low: r.next())) }
        for i in 0..<6 {
            instances.append(
                (TypeID(prefix: .connectorInstance, high: r.next() >> 2, low: r.next()), organizations[i % 2]))
        }
        self.organizations = organizations
        self.instances = instances
        random = r
    }

    /// The time of operation `index`: one second apart.
    func now(_ offset: Int64 = 0) -> Timestamp {
        Timestamp(millisecondsSince1970: Self.start.millisecondsSince1970 + Int64(index) * 1000 + offset)
    }

    mutating func event(offset: Int64) -> SyncEvent {
        let time = now(offset)
        let id = TypeID.generate(.event, now: time, random: &random)
        recorded.append(id)
        let instance = instances[Int(random.next() % UInt64(instances.count))]
        let status = EventStatus.allCases[Int(random.next() % UInt64(EventStatus.allCases.count))]
        let done = [EventStatus.completed, .failed, .partial, .ignored].contains(status)
        let eventType = EventType.allCases[Int(random.next() % UInt64(EventType.allCases.count))]
        return SyncEvent(
            id: id, organizationId: instance.organization, connectorInstanceId: instance.id,
            connectorTargetId: eventType == .push
                ? TypeID(prefix: .connectorTarget, high: 1, low: random.next() % 4) : nil,
            remoteId: "acme/repo-\(random.next() % 50)", eventType: eventType,
            externalEventRef: "delivery-\(index)-\(offset)", sourceRevisionRef: nil, status: status,
            summaryJson: ["op": .number(.integer(Int64(index))), "note": .string("crash \(offset)")],
            startedAt: time, completedAt: done ? now(offset + 500) : nil)
    }

    /// The next operation.
    public mutating func next() -> CrashOperation? {
        defer { index += 1 }
        let roll = random.next() % 100
        switch roll {
        case 0..<30: return .record(event(offset: 0))
        case 30..<42: return .recordBatch((0..<(2 + Int(random.next() % 30))).map { event(offset: Int64($0)) })
        case 42..<48:
            var e = event(offset: 0)
            e.eventType = .push
            e.status = .queued
            e.completedAt = nil
            e.connectorTargetId = TypeID(prefix: .connectorTarget, high: 1, low: random.next() % 4)
            e.sourceRevisionRef = String(repeating: "ab", count: 20)
            return .enqueuePush(e)
        case 48..<58: return .claim(now: now(), limit: 1 + Int(random.next() % 4))
        case 58..<66: return .finish(outcome: FinishStatus.allCases[Int(random.next() % 3)], now: now())
        case 66..<72: return .fail(transient: random.next() % 2 == 0, now: now(), seed: random.next())
        case 72..<82:
            guard !recorded.isEmpty else { return .record(event(offset: 0)) }
            return .retry(recorded[Int(random.next() % UInt64(recorded.count))], now: now())
        case 82..<86:
            let instance = instances[Int(random.next() % UInt64(instances.count))]
            return .deleteInstance(instance.id, organization: instance.organization)
        case 86..<89:
            return .prune(olderThan: now(-Int64(random.next() % 200_000)), keepingLatest: Int(random.next() % 5))
        default: return .backup(name: "backup-\(index)")
        }
    }
}

extension CrashOperation {
    /// Whether the store runs the operation in several bounded transactions (deletes and prune): a kill
    /// can leave part of it done, and running it again finishes it.
    public var isChunked: Bool {
        switch self {
        case .deleteInstance, .prune: return true
        default: return false
        }
    }
}

/// Applies operations to a store, remembering what this process claimed (finish and fail act on it).
public final class CrashApplier {
    let store: SyncEventStore
    let backupDirectory: String
    /// Ids this process claimed and has not finished or failed yet, newest last.
    public private(set) var claimed: [Claim] = []

    /// An applier writing to `store`, backups into `backupDirectory`.
    public init(store: SyncEventStore, backupDirectory: String) {
        self.store = store
        self.backupDirectory = backupDirectory
    }

    /// Forgets the claims (a restarted process no longer has them).
    public func restart() { claimed = [] }

    /// Applies `operation`; a refusal (`notFound`, `invalidTransition`, …) is thrown and changed nothing.
    /// `backup` calls `backupHook` instead of writing a copy when one is given (the parent's model).
    public func apply(_ operation: CrashOperation, backupHook: ((String) throws -> Void)? = nil) throws {
        switch operation {
        case .record(let e): try store.record(e)
        case .recordBatch(let es): try store.record(contentsOf: es)
        case .enqueuePush(let e):
            try store.enqueuePush(
                target: e.connectorTargetId!, sha: e.sourceRevisionRef!, organization: e.organizationId,
                instance: e.connectorInstanceId, remoteId: e.remoteId, deliveryId: e.externalEventRef,
                summary: e.summaryJson, id: e.id, now: e.startedAt)
        case .claim(let now, let limit):
            claimed += try store.claimDue(now: now, limit: limit)
        case .finish(let outcome, let now):
            guard let claim = claimed.popLast() else { return }
            try store.finish(claim, as: outcome, summary: ["done": .bool(true)], now: now)
        case .fail(let transient, let now, let seed):
            guard let claim = claimed.popLast() else { return }
            var random = SeededRandomSource(seed: seed)
            try store.fail(claim, error: "crash suite", transient: transient, now: now, random: &random)
        case .retry(let id, let now): try store.retry(id: id, now: now)
        case .deleteInstance(let id, let org): try store.deleteEvents(ofInstance: id, in: org)
        case .prune(let cutoff, let keep): try store.prune(olderThan: cutoff, keepingLatest: keep)
        case .backup(let name):
            if let backupHook { try backupHook(name) } else { try store.backup(to: backupDirectory + "/" + name) }
        }
    }
}
