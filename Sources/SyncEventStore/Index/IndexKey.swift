import Crypto

/// The kinds of secondary index entries, the first byte of every key in the `indexes` table, except the
/// per-target kinds (``targetStatus``, ``targetQueue``, ``queueHead``): their keys start
/// `perTarget ‖ target ‖ kind`, so that a claim, which changes all three for a target, rewrites one leaf
/// page of the tree instead of three far apart (``IndexKey/kind(of:)`` reads either form; format 4).
///
/// List indexes end in the order suffix `~startedAt ‖ ~id` (bitwise complements), so that ascending key
/// order is `startedAt` descending, then `id` descending: a page is a forward range walk.
enum IndexKind: UInt8, CaseIterable, Sendable {
    /// `org ‖ order`: every event of an organization.
    case organization = 1
    /// `org ‖ instance ‖ order`.
    case instance = 2
    /// `org ‖ target ‖ order` (events with a target only) → the event type's code (1 byte), so that a page of
    /// a target and an event type passes over the other types without reading their records. Entries
    /// written before the value existed are empty: the record is checked instead.
    case target = 3
    /// `org ‖ eventType ‖ order`.
    case eventType = 4
    /// `org ‖ status ‖ order`.
    case status = 5
    /// `org ‖ status ‖ instance ‖ order`: the common instance+status shape, and a member's status view. The
    /// status comes before the instance so that the few `running` entries of every instance share leaves: a
    /// claim of 10 events in 10 instances inserts into one range instead of ten. (Key byte 6 held the
    /// `org ‖ instance ‖ status ‖ order` layout of formats 1–3.)
    case instanceStatus = 15
    /// `target ‖ status ‖ order` (under ``perTarget``): the worker's per-target look-ups.
    case targetStatus = 7
    /// `target ‖ sha key ‖ id`: push de-duplication (push events with a target and a revision).
    case pushRevision = 8
    /// `nextAttemptAt ↑ ‖ startedAt ↑ ‖ id ↑`: queued events backing off, not yet ready; `claimDue` moves
    /// those that fell due into the ready queue (it marks the record promoted).
    case delayed = 9
    /// `leaseExpiresAt ↑ ‖ id ↑`: running events with a lease.
    case lease = 10
    /// `target ‖ startedAt ↑ ‖ id ↑` (under ``perTarget``): each target's ready queued events, oldest first.
    case targetQueue = 11
    /// `startedAt ↑ ‖ id ↑`: the claim queue, in claim order. It holds every ready event without a target
    /// and, for each target without a `running` event, its oldest ready event (its queue head): every
    /// entry is claimable, so a claim reads `limit` entries. Heads are kept by `refreshQueueHead`, not
    /// derived from one record.
    case ready = 12
    /// `target ‖ startedAt ↑ ‖ id ↑` (under ``perTarget``): which event of a target is in the claim queue (at
    /// most one).
    case queueHead = 13
    /// Not a kind of its own: the leading byte of the per-target kinds (``targetStatus``, ``targetQueue``,
    /// ``queueHead``), whose keys are `14 ‖ target ‖ kind ‖ rest`.
    case perTarget = 14

    /// Whether the kind's keys sit under ``perTarget``, grouped by target.
    var isPerTarget: Bool { self == .targetStatus || self == .targetQueue || self == .queueHead }

    /// A short name for stats and verify output.
    var name: String {
        switch self {
        case .organization: return "organization"
        case .instance: return "connectorInstance"
        case .target: return "connectorTarget"
        case .eventType: return "eventType"
        case .status: return "status"
        case .instanceStatus: return "connectorInstance+status"
        case .targetStatus: return "connectorTarget+status"
        case .pushRevision: return "pushRevision"
        case .delayed: return "delayed"
        case .lease: return "lease"
        case .targetQueue: return "targetQueue"
        case .ready: return "ready"
        case .queueHead: return "queueHead"
        case .perTarget: return "perTarget"
        }
    }
}

/// Order-preserving key encoding for index entries.
enum IndexKey {
    /// Length of the order suffix: `~startedAt` (8) and `~id` (16).
    static let orderSuffixLength = 24

    /// Maps a signed time to an unsigned value with the same order.
    @inline(__always) static func biased(_ ms: Int64) -> UInt64 { UInt64(bitPattern: ms) ^ (1 << 63) }
    @inline(__always) static func unbiased(_ v: UInt64) -> Int64 { Int64(bitPattern: v ^ (1 << 63)) }

    @inline(__always) static func appendBE(_ v: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) }
    }

    /// Appends `~startedAt ‖ ~id`.
    @inline(__always)
    static func appendOrder(startedAt: Int64, id: TypeID, to out: inout [UInt8]) {
        appendBE(~biased(startedAt), to: &out)
        appendBE(~id.high, to: &out)
        appendBE(~id.low, to: &out)
    }

    /// Reads `(startedAt, id)` back from an order suffix at the end of `key`.
    static func order(fromKeyEnd key: UnsafeRawBufferPointer) -> (startedAt: Int64, id: TypeID) {
        let o = key.count - orderSuffixLength
        let t = ~key.loadUnaligned(fromByteOffset: o, as: UInt64.self).bigEndian
        let h = ~key.loadUnaligned(fromByteOffset: o + 8, as: UInt64.self).bigEndian
        let l = ~key.loadUnaligned(fromByteOffset: o + 16, as: UInt64.self).bigEndian
        return (unbiased(t), TypeID(prefix: .event, high: h, low: l))
    }

    /// The key prefix of one stream: kind, then its fixed parts; for a per-target kind (whose first part
    /// is the target), `perTarget ‖ target ‖ kind`, then the other parts.
    static func prefix(_ kind: IndexKind, _ parts: [UInt8]...) -> [UInt8] {
        var out: [UInt8] = []
        if kind.isPerTarget, let target = parts.first {
            out.append(IndexKind.perTarget.rawValue)
            out.append(contentsOf: target)
            out.append(kind.rawValue)
            for p in parts.dropFirst() { out.append(contentsOf: p) }
            return out
        }
        out.append(kind.rawValue)
        for p in parts { out.append(contentsOf: p) }
        return out
    }

    /// The de-duplication key part of a revision: length-prefixed bytes up to 64, else a SHA-256.
    static func revisionKey(_ revision: String) -> [UInt8] {
        let bytes = Array(revision.utf8)
        if bytes.count <= 64 { return [UInt8(bytes.count)] + bytes }
        return [0xFF] + Array(SHA256.hash(data: bytes))
    }

    /// The kind of the entry `key`: its first byte, or for an entry under ``IndexKind/perTarget`` the kind
    /// byte after the target (``IndexKind/perTarget`` itself when that byte names no per-target kind).
    static func kind(of key: UnsafeRawBufferPointer) -> UInt8 {
        guard let first = key.first else { return 0 }
        guard first == IndexKind.perTarget.rawValue else { return first }
        guard key.count > 17, let kind = IndexKind(rawValue: key[17]), kind.isPerTarget else { return first }
        return kind.rawValue
    }

    /// ``kind(of:)`` of a key held in an array.
    static func kind(of key: [UInt8]) -> UInt8 { key.withUnsafeBytes { kind(of: $0) } }

    /// `startedAt ↑ ‖ id ↑`, the claim order.
    static func claimOrder(startedAt: Int64, id: UnsafeRawBufferPointer) -> [UInt8] {
        var k: [UInt8] = []
        k.reserveCapacity(24)
        appendBE(biased(startedAt), to: &k)
        k.append(contentsOf: id)
        return k
    }

    /// The value stored with the index entry `key` of record `r`: the event type's code for a `target`
    /// entry, empty for every other kind.
    static func entryValue(_ key: [UInt8], of r: RecordView) -> [UInt8] {
        key.first == IndexKind.target.rawValue ? [r.eventTypeCode] : []
    }

    /// Whether `value` is right for an index entry of `kind` of record `r` (an empty `target` value, written
    /// before entries carried the event type, is right too).
    static func entryValueIsValid(_ value: UnsafeRawBufferPointer, kind: UInt8, of r: RecordView) -> Bool {
        guard kind == IndexKind.target.rawValue else { return value.isEmpty }
        return value.isEmpty || (value.count == 1 && value[0] == r.eventTypeCode)
    }

    /// The length of a `target` entry's key in the bulk path's arena, where its 1-byte value follows it.
    static let targetKeyLength = 1 + 16 + 16 + orderSuffixLength

    /// Every index key of a record, in a fixed order (queue heads of targets excepted: see
    /// ``IndexKind/ready``).
    static func keys(for r: RecordView) -> [[UInt8]] {
        var arena: [UInt8] = []
        arena.reserveCapacity(9 * 64)
        var ends: [Int] = []
        ends.reserveCapacity(10)
        appendKeys(for: r, to: &arena, ends: &ends)
        var start = 0
        return ends.map { end in
            defer { start = end }
            return Array(arena[start..<end])
        }
    }

    /// Appends every index key of a record to `arena`, one after the other, and the end offset of each to
    /// `ends` (the bulk path: no allocation per key). With `values`, a `target` key is followed by its
    /// value (``entryValue(_:of:)``) before its end.
    static func appendKeys(for r: RecordView, to arena: inout [UInt8], ends: inout [Int], values: Bool = false) {
        let org = r.organizationBytes
        let instance = r.instanceBytes
        let target = r.targetBytes
        let started = r.startedAt.millisecondsSince1970
        let id = r.id
        func finishList() {
            appendOrder(startedAt: started, id: id, to: &arena)
            ends.append(arena.count)
        }
        arena.append(IndexKind.organization.rawValue)
        arena.append(contentsOf: org)
        finishList()
        arena.append(IndexKind.instance.rawValue)
        arena.append(contentsOf: org)
        arena.append(contentsOf: instance)
        finishList()
        if let target {
            arena.append(IndexKind.target.rawValue)
            arena.append(contentsOf: org)
            arena.append(contentsOf: target)
            appendOrder(startedAt: started, id: id, to: &arena)
            if values { arena.append(r.eventTypeCode) }
            ends.append(arena.count)
        }
        arena.append(IndexKind.eventType.rawValue)
        arena.append(contentsOf: org)
        arena.append(r.eventTypeCode)
        finishList()
        arena.append(IndexKind.status.rawValue)
        arena.append(contentsOf: org)
        arena.append(r.statusCode)
        finishList()
        arena.append(IndexKind.instanceStatus.rawValue)
        arena.append(contentsOf: org)
        arena.append(r.statusCode)
        arena.append(contentsOf: instance)
        finishList()
        if let target {
            arena.append(IndexKind.perTarget.rawValue)
            arena.append(contentsOf: target)
            arena.append(IndexKind.targetStatus.rawValue)
            arena.append(r.statusCode)
            finishList()
        }
        if let target, r.eventType == .push, let rev = r.sourceRevisionRef {
            arena.append(IndexKind.pushRevision.rawValue)
            arena.append(contentsOf: target)
            if rev.count <= 64 {
                arena.append(UInt8(rev.count))
                arena.append(contentsOf: rev)
            } else {
                arena.append(0xFF)
                arena.append(contentsOf: SHA256.hash(data: Array(rev)))
            }
            arena.append(contentsOf: r.idBytes)
            ends.append(arena.count)
        }
        if r.status == .queued && !r.isQuarantined {
            if !r.isReady, let next = r.nextAttemptAt {
                arena.append(IndexKind.delayed.rawValue)
                appendBE(biased(next.millisecondsSince1970), to: &arena)
            } else if let target {
                arena.append(IndexKind.perTarget.rawValue)
                arena.append(contentsOf: target)
                arena.append(IndexKind.targetQueue.rawValue)
            } else {
                arena.append(IndexKind.ready.rawValue)
            }
            // The claim order: `startedAt ↑ ‖ id ↑` (``claimOrder(startedAt:id:)``).
            appendBE(biased(started), to: &arena)
            arena.append(contentsOf: r.idBytes)
            ends.append(arena.count)
        }
        if r.status == .running, let lease = r.leaseExpiresAt {
            arena.append(IndexKind.lease.rawValue)
            appendBE(biased(lease.millisecondsSince1970), to: &arena)
            arena.append(contentsOf: r.idBytes)
            ends.append(arena.count)
        }
    }
}
