/// A worker's hold on one `running` event: the capability to finish it, fail it or extend its lease.
///
/// ``SyncEventStore/claimDue(now:limit:lease:)`` hands out claims. The store keeps the claim's
/// ``token`` (the fence) with the record, so the check survives restarts and works across processes.
/// The fence changes on every claim, on ``SyncEventStore/reclaimExpired(now:limit:policy:)`` and on
/// ``SyncEventStore/retry(id:now:)``: a worker whose lease was taken from it gets
/// ``SyncEventStoreError/leaseLost(id:)`` from ``SyncEventStore/finish(_:as:summary:now:)``,
/// ``SyncEventStore/fail(_:error:transient:now:policy:)`` and ``SyncEventStore/extendLease(_:by:now:)``,
/// and changes nothing, while the worker that holds the event now carries on.
///
/// A claim whose lease time has passed still holds until someone reclaims the event (as in Oban's
/// Lifeline and River's rescuer, a slow job is only rescued when the rescuer runs): a worker that
/// finishes late, before any reclaim, finishes normally.
public struct Claim: Sendable, Equatable, Identifiable {
    /// The event as stored when the claim was made (status `running`).
    public let event: SyncEvent
    /// The fence: opaque, different for every claim of the event.
    public let token: ClaimToken
    /// When the lease runs out: from then on ``SyncEventStore/reclaimExpired(now:limit:policy:)`` may
    /// take the event back. Extend it with ``SyncEventStore/extendLease(_:by:now:)``.
    public let leaseExpiresAt: Timestamp

    /// The claimed event's id.
    public var id: TypeID { event.id }

    /// A claim as a worker carries it, for example rebuilt from a job payload; the store checks the
    /// `token` against the stored fence, so a made-up claim is refused with
    /// ``SyncEventStoreError/leaseLost(id:)``.
    public init(event: SyncEvent, token: ClaimToken, leaseExpiresAt: Timestamp) {
        self.event = event
        self.token = token
        self.leaseExpiresAt = leaseExpiresAt
    }
}

/// The fence of a ``Claim``: an opaque 64-bit value, printed as 16 hexadecimal digits.
public struct ClaimToken: Sendable, Hashable, CustomStringConvertible, LosslessStringConvertible {
    package let value: UInt64

    package init(value: UInt64) { self.value = value }

    /// A new random token, never 0 (0 marks "no fence" in the record).
    package static func random() -> ClaimToken {
        var g = SystemRandomNumberGenerator()
        var v: UInt64 = 0
        while v == 0 { v = g.next() }
        return ClaimToken(value: v)
    }

    /// The token as 16 lowercase hexadecimal digits.
    public var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Parses the 16 hexadecimal digits of ``description``; `nil` for anything else.
    public init?(_ description: String) {
        guard description.utf8.count == 16, let v = UInt64(description, radix: 16) else { return nil }
        value = v
    }
}

/// A lease as the record stores it: when it runs out and the fence of the claim that holds it.
struct Lease: Equatable {
    var expiresAt: Timestamp
    var token: ClaimToken
}
