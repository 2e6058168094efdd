/// How a failure goes into `summaryJson` so that the record always fits its limits: a failed attempt
/// must always be recordable, or the event would stay `running` for ever.
package enum FailureSummary {
    /// Error messages are cut to at most this many UTF-8 bytes (on a Unicode scalar boundary).
    static let maximumMessageBytes = 2000
    /// A message is never cut below this many bytes to keep other keys: those give way first.
    static let minimumMessageBytes = 100
    /// The message of an attempt whose lease ran out.
    package static let leaseExpired = "lease expired"

    /// `summary` with `lastError: message` merged in, and for a `final` failure `error: message` and
    /// `outcome: "failed"`. The message is cut to ``maximumMessageBytes`` bytes, then shorter (down to
    /// ``minimumMessageBytes``) until the summary's JSON fits `limits.maximumSummaryBytes`; if it still
    /// does not fit, the other keys are dropped, largest first.
    package static func merge(_ message: String, into summary: JSONObject?, final: Bool, limits: RecordLimits) -> JSONObject {
        var cut = prefix(message, bytes: maximumMessageBytes)
        while true {
            let built = build(cut, summary ?? JSONObject(), final: final)
            let size = jsonSize(built)
            if size <= limits.maximumSummaryBytes { return built }
            let bytes = cut.utf8.count
            if bytes <= minimumMessageBytes { break }
            // Each byte of the message writes at least one byte per copy: cutting `over / copies` bytes
            // removes at least `over` bytes of JSON.
            let over = size - limits.maximumSummaryBytes
            let copies = final ? 2 : 1
            cut = prefix(cut, bytes: max(minimumMessageBytes, bytes - (over + copies - 1) / copies))
        }
        // A short message still does not fit: drop the other keys, largest first.
        var rest = summary ?? JSONObject()
        rest["lastError"] = nil
        rest["error"] = nil
        rest["outcome"] = nil
        let bySize = rest.members.map { ($0.key, jsonSize(JSONObject([($0.key, $0.value)]))) }.sorted { $0.1 > $1.1 }
        for (key, _) in bySize {
            rest[key] = nil
            let built = build(cut, rest, final: final)
            if jsonSize(built) <= limits.maximumSummaryBytes { return built }
        }
        return build(prefix(cut, bytes: max(0, limits.maximumSummaryBytes / 12 - 10)), JSONObject(), final: final)
    }

    private static func build(_ message: String, _ base: JSONObject, final: Bool) -> JSONObject {
        var out = base
        out["lastError"] = .string(message)
        if final {
            out["error"] = .string(message)
            out["outcome"] = .string("failed")
        }
        return out
    }

    static func jsonSize(_ object: JSONObject) -> Int {
        var out: [UInt8] = []
        JSONWriter.write(.object(object), to: &out)
        return out.count
    }

    /// The longest prefix of `s` of at most `bytes` UTF-8 bytes that ends on a Unicode scalar boundary.
    static func prefix(_ s: String, bytes: Int) -> String {
        if s.utf8.count <= bytes { return s }
        var out = String.UnicodeScalarView()
        var used = 0
        for scalar in s.unicodeScalars {
            let n = UTF8.width(scalar)
            if used + n > bytes { break }
            used += n
            out.append(scalar)
        }
        return String(out)
    }
}

extension SyncEvent {
    /// The event after its lease expired (``SyncEventStore/reclaimExpired(now:limit:policy:)``): the attempt
    /// counts, `lastError: "lease expired"` is merged into the summary, and it is `queued` again while
    /// attempts remain under `policy`, else dead-lettered as `failed` with `completedAt`. Both backends
    /// apply exactly this transition.
    package mutating func reclaimAfterLeaseExpiry(now: Timestamp, policy: RetryPolicy, limits: RecordLimits) {
        let attempts = min(attemptCount + 1, limits.maximumAttemptCount)
        let retry = attempts < policy.maximumAttempts
        attemptCount = attempts
        summaryJson = FailureSummary.merge(FailureSummary.leaseExpired, into: summaryJson, final: !retry, limits: limits)
        nextAttemptAt = nil
        if retry {
            status = .queued
        } else {
            status = .failed
            completedAt = max(now, startedAt)
        }
    }
}
