@testable import SyncEventStore

/// The write side done the slow, obvious way over a plain array: the oracle the simulation compares with.
struct ReferenceModel {
    var records: [StoredRecord] = []
    let limits = RecordLimits()

    var sorted: [StoredRecord] { records.sorted { $0.event.id < $1.event.id } }

    func index(of id: TypeID) -> Int? { records.firstIndex { $0.event.id == id } }

    mutating func record(_ e: SyncEvent) { records.append(StoredRecord(event: e, lease: nil)) }

    mutating func enqueuePush(_ candidate: SyncEvent) -> PushEnqueueResult {
        let existing = records.map(\.event).filter {
            $0.eventType == .push && $0.connectorTargetId == candidate.connectorTargetId
                && $0.sourceRevisionRef == candidate.sourceRevisionRef
        }.min { $0.id < $1.id }
        if let existing { return .duplicate(existing: existing) }
        record(candidate)
        return .enqueued(candidate)
    }

    mutating func claimDue(now: Timestamp, limit: Int, leaseMs: Int64) -> [SyncEvent] {
        let due = records.indices.filter {
            let e = records[$0].event
            return e.status == .queued && (e.nextAttemptAt == nil || e.nextAttemptAt! <= now)
        }.sorted {
            let a = records[$0].event, b = records[$1].event
            return a.startedAt != b.startedAt ? a.startedAt < b.startedAt : a.id < b.id
        }
        var claimed: [SyncEvent] = []
        var decided = Set<TypeID>()
        for i in due {
            if claimed.count == limit { break }
            if let t = records[i].event.connectorTargetId {
                if !decided.insert(t).inserted { continue }
                if records.contains(where: { $0.event.connectorTargetId == t && $0.event.status == .running }) { continue }
            }
            records[i].event.status = .running
            records[i].lease = now.adding(milliseconds: leaseMs)
            claimed.append(records[i].event)
        }
        return claimed
    }

    mutating func extendLease(_ id: TypeID, until t: Timestamp) { records[index(of: id)!].lease = t }

    mutating func finish(_ id: TypeID, _ outcome: FinishStatus, _ summary: JSONObject?, now: Timestamp) -> SyncEvent {
        let i = index(of: id)!
        var e = records[i].event
        e.status = outcome.status
        if let summary {
            var merged = e.summaryJson ?? JSONObject()
            for (k, v) in summary { merged[k] = v }
            e.summaryJson = merged
        }
        e.completedAt = max(now, e.startedAt)
        e.nextAttemptAt = nil
        records[i] = StoredRecord(event: e, lease: nil)
        return e
    }

    mutating func fail(_ id: TypeID, _ message: String, transient: Bool, now: Timestamp, policy: RetryPolicy, unit: Double)
        -> FailResult
    {
        let i = index(of: id)!
        var e = records[i].event
        e.attemptCount += 1
        let retry = transient && e.attemptCount < policy.maximumAttempts
        var s = e.summaryJson ?? JSONObject()
        s["lastError"] = .string(message)
        if !retry {
            s["error"] = .string(message)
            s["outcome"] = .string("failed")
        }
        e.summaryJson = s
        if retry {
            e.status = .queued
            e.completedAt = nil
            e.nextAttemptAt = now.adding(milliseconds: policy.delayMilliseconds(afterAttempt: e.attemptCount, unit: unit))
        } else {
            e.status = .failed
            e.completedAt = max(now, e.startedAt)
            e.nextAttemptAt = nil
        }
        records[i] = StoredRecord(event: e, lease: nil)
        return retry ? .retryScheduled(e) : .failed(e)
    }

    mutating func retry(_ id: TypeID, now: Timestamp) -> SyncEvent? {
        guard let i = index(of: id) else { return nil }
        var e = records[i].event
        e.status = .queued
        e.attemptCount = 0
        e.completedAt = nil
        e.nextAttemptAt = nil
        e.startedAt = now
        records[i] = StoredRecord(event: e, lease: nil)
        return e
    }

    mutating func reclaimExpired(now: Timestamp, policy: RetryPolicy) -> [SyncEvent] {
        let expired = records.indices.filter {
            records[$0].event.status == .running && records[$0].lease != nil && records[$0].lease! <= now
        }.sorted {
            records[$0].lease! != records[$1].lease!
                ? records[$0].lease! < records[$1].lease! : records[$0].event.id < records[$1].event.id
        }
        var out: [SyncEvent] = []
        for i in expired {
            var e = records[i].event
            e.attemptCount += 1
            e.nextAttemptAt = nil
            var s = e.summaryJson ?? JSONObject()
            s["lastError"] = .string("lease expired")
            if e.attemptCount < policy.maximumAttempts {
                e.status = .queued
            } else {  // dead-lettered
                e.status = .failed
                e.completedAt = max(now, e.startedAt)
                s["error"] = .string("lease expired")
                s["outcome"] = .string("failed")
            }
            e.summaryJson = s
            records[i] = StoredRecord(event: e, lease: nil)
            out.append(e)
        }
        return out
    }

    func latestCompleted(target: TypeID) -> SyncEvent? {
        records.map(\.event).filter { $0.connectorTargetId == target && $0.status == .completed }
            .max { $0.startedAt != $1.startedAt ? $0.startedAt < $1.startedAt : $0.id < $1.id }
    }

    func hasActive(target: TypeID) -> Bool {
        records.contains { $0.event.connectorTargetId == target && ($0.event.status == .queued || $0.event.status == .running) }
    }

    func lookup(_ id: TypeID, as viewer: Viewer) -> EventLookup {
        guard let e = records.first(where: { $0.event.id == id })?.event else { return .notFound }
        switch viewer {
        case .admin(let org): return e.organizationId == org ? .found(e) : .notFound
        case .member(let org, let visible):
            guard e.organizationId == org else { return .notFound }
            return visible.contains(e.connectorInstanceId) ? .found(e) : .forbidden
        }
    }

    mutating func delete(where predicate: (SyncEvent) -> Bool) -> Int {
        let before = records.count
        records.removeAll { predicate($0.event) }
        return before - records.count
    }

    mutating func prune(olderThan cutoff: Timestamp, keepingLatest keep: Int) -> Int {
        let finished: Set<EventStatus> = [.completed, .failed, .partial, .ignored]
        var groups: [String: [SyncEvent]] = [:]
        for r in records {
            let e = r.event
            let key = e.connectorTargetId.map { "t\(e.organizationId)\($0)" } ?? "i\(e.organizationId)\(e.connectorInstanceId)"
            groups[key, default: []].append(e)
        }
        var doomed = Set<TypeID>()
        for (_, events) in groups {
            let newestFirst = events.sorted { $0.startedAt != $1.startedAt ? $0.startedAt > $1.startedAt : $0.id > $1.id }
            for e in newestFirst.dropFirst(keep) where e.startedAt < cutoff && finished.contains(e.status) {
                doomed.insert(e.id)
            }
        }
        return delete { doomed.contains($0.id) }
    }
}
