/// The compact, versioned binary form of a record as the `events` table stores it.
///
/// Layout, version 2 (integers little-endian):
/// ```
/// u8 version | id 16 | organization 16 | instance 16 | u8 flags | u8 flags2 | [target 16]
/// u8 connectorType | u8 eventType | u8 status | i64 startedAt | [i64 completedAt] | [i64 nextAttemptAt]
/// [i64 leaseExpiresAt] | [u64 leaseToken] | [u32 searchSeq] | u32 attemptCount | [u16 n, remoteId] | [u16 n, externalEventRef]
/// [u16 n, sourceRevisionRef] | [u16 n, search text] | [u32 summary offset in the JSON] | u32 n, public JSON
/// | u32 CRC-32C of all bytes before it
/// ```
/// Version 1 was the same without the checksum; a store of format 1 is upgraded when it opens.
/// The search text (JavaScript-lowercased `externalEventRef + "\n" + sourceRevisionRef`) is stored only
/// when it differs from the original. The record ends with the event's public JSON (BEHAVIOUR.md §1), so
/// a page copies ready bytes; `summaryJson` is the tail of that JSON (its last key).
///
/// `leaseToken` (flag2 bit 2) is the fence of the claim that holds a `running` event; records written
/// before it existed have none and read as token 0, which no claim carries. Flag2 bits 3 and 4 carry no
/// data: `promoted` (a backing-off queued event now in the claim queue) and `quarantined` (set in place on
/// a record `claimDue` could not decode).
enum RecordCodec {
    static let version: UInt8 = 2

    struct Flags: OptionSet {
        let rawValue: UInt8
        static let target = Flags(rawValue: 1 << 0)
        static let completedAt = Flags(rawValue: 1 << 1)
        static let nextAttemptAt = Flags(rawValue: 1 << 2)
        static let remoteId = Flags(rawValue: 1 << 3)
        static let externalEventRef = Flags(rawValue: 1 << 4)
        static let sourceRevisionRef = Flags(rawValue: 1 << 5)
        static let summary = Flags(rawValue: 1 << 6)
        static let searchText = Flags(rawValue: 1 << 7)
    }

    struct Flags2: OptionSet {
        let rawValue: UInt8
        static let leaseExpiresAt = Flags2(rawValue: 1 << 0)
        static let searchSeq = Flags2(rawValue: 1 << 1)
        static let leaseToken = Flags2(rawValue: 1 << 2)
        /// A queued event whose `nextAttemptAt` passed: `claimDue` moved it to the ready queue.
        static let promoted = Flags2(rawValue: 1 << 3)
        /// The record cannot be decoded (found by `claimDue`): kept, reported, out of the claim queue.
        static let quarantined = Flags2(rawValue: 1 << 4)
    }

    /// Encodes `event`; `searchText` is the lowercased search text when it differs from the raw one.
    static func encode(_ event: SyncEvent, lease: Lease? = nil, searchSeq: UInt32? = nil, promoted: Bool = false)
        -> [UInt8]
    {
        var out: [UInt8] = []
        out.reserveCapacity(160)
        encode(event, lease: lease, searchSeq: searchSeq, promoted: promoted, into: &out)
        return out
    }

    /// Appends the encoding of `event` to `out`, checksum included (the bulk path encodes a batch into one
    /// buffer): the record is the bytes from `out.count` on entry to the end.
    static func encode(
        _ event: SyncEvent, lease: Lease? = nil, searchSeq: UInt32?, promoted: Bool = false,
        into out: inout [UInt8]
    ) {
        let recordStart = out.count
        out.append(version)
        event.id.appendBytes(to: &out)
        event.organizationId.appendBytes(to: &out)
        event.connectorInstanceId.appendBytes(to: &out)
        let search = SearchText.lowercased(external: event.externalEventRef, source: event.sourceRevisionRef)
        var flags: Flags = []
        if event.connectorTargetId != nil { flags.insert(.target) }
        if event.completedAt != nil { flags.insert(.completedAt) }
        if event.nextAttemptAt != nil { flags.insert(.nextAttemptAt) }
        if event.remoteId != nil { flags.insert(.remoteId) }
        if event.externalEventRef != nil { flags.insert(.externalEventRef) }
        if event.sourceRevisionRef != nil { flags.insert(.sourceRevisionRef) }
        if event.summaryJson != nil { flags.insert(.summary) }
        if search != nil { flags.insert(.searchText) }
        var flags2: Flags2 = []
        if lease != nil { flags2.formUnion([.leaseExpiresAt, .leaseToken]) }
        if searchSeq != nil { flags2.insert(.searchSeq) }
        if promoted && event.status == .queued && event.nextAttemptAt != nil { flags2.insert(.promoted) }
        out.append(flags.rawValue)
        out.append(flags2.rawValue)
        event.connectorTargetId?.appendBytes(to: &out)
        out.append(event.connectorType.code)
        out.append(event.eventType.code)
        out.append(event.status.code)
        func i64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        i64(event.startedAt.millisecondsSince1970)
        if let t = event.completedAt { i64(t.millisecondsSince1970) }
        if let t = event.nextAttemptAt { i64(t.millisecondsSince1970) }
        if let lease {
            i64(lease.expiresAt.millisecondsSince1970)
            withUnsafeBytes(of: lease.token.value.littleEndian) { out.append(contentsOf: $0) }
        }
        if let seq = searchSeq { withUnsafeBytes(of: seq.littleEndian) { out.append(contentsOf: $0) } }
        withUnsafeBytes(of: UInt32(clamping: event.attemptCount).littleEndian) { out.append(contentsOf: $0) }
        func str(_ s: String?) {
            guard let s else { return }
            withUnsafeBytes(of: UInt16(s.utf8.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: s.utf8)
        }
        str(event.remoteId)
        str(event.externalEventRef)
        str(event.sourceRevisionRef)
        if let search {
            withUnsafeBytes(of: UInt16(search.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: search)
        }
        // The JSON is written in place after its header (summary offset, length), which is filled in after.
        let header = out.count
        out.append(contentsOf: repeatElement(0, count: event.summaryJson == nil ? 4 : 8))
        let jsonStart = out.count
        let summaryStart = event.writeJSONReturningSummaryStart(to: &out, includingOrganization: false) - jsonStart
        let jsonCount = out.count - jsonStart
        out.withUnsafeMutableBytes { b in
            var at = header
            if event.summaryJson != nil {
                // `summaryJson` is the last key: its value ends just before the closing brace.
                b.storeBytes(of: UInt32(summaryStart).littleEndian, toByteOffset: at, as: UInt32.self)
                at += 4
            }
            b.storeBytes(of: UInt32(jsonCount).littleEndian, toByteOffset: at, as: UInt32.self)
        }
        appendChecksum(to: &out, from: recordStart)
    }

    /// Decodes a stored record into an event (the summary is parsed back into a ``JSONObject``).
    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> SyncEvent {
        try decode(RecordView(bytes))
    }

    /// Decodes the record a view (already checked) reads.
    static func decode(_ r: RecordView) throws -> SyncEvent {
        var summary: JSONObject?
        if let s = r.summary {
            guard case .object(let o) = try JSONParser.parse(s) else {
                throw StorageError.corrupted("record \(r.id): summary is not an object")
            }
            summary = o
        }
        func string(_ b: UnsafeRawBufferPointer?) -> String? { b.map { String(decoding: $0, as: UTF8.self) } }
        return SyncEvent(
            id: r.id, organizationId: r.organizationId, connectorInstanceId: r.connectorInstanceId,
            connectorTargetId: r.connectorTargetId, connectorType: r.connectorType, remoteId: string(r.remoteId),
            eventType: r.eventType, externalEventRef: string(r.externalEventRef),
            sourceRevisionRef: string(r.sourceRevisionRef), status: r.status, summaryJson: summary,
            startedAt: r.startedAt, completedAt: r.completedAt, attemptCount: r.attemptCount,
            nextAttemptAt: r.nextAttemptAt)
    }
}

/// A zero-copy reader over a stored record, for the hot path: filter checks and JSON output without
/// building a ``SyncEvent``. Valid only while the bytes it reads are.
struct RecordView {
    let bytes: UnsafeRawBufferPointer
    let flags: RecordCodec.Flags
    let flags2: RecordCodec.Flags2
    private let fixedEnd: Int  // offset of connectorType
    private let timesStart: Int
    private var offsets: (remote: Int, external: Int, source: Int, search: Int, summary: Int, json: Int, end: Int)

    init(_ bytes: UnsafeRawBufferPointer) throws {
        self.bytes = bytes
        guard bytes.count >= 60, bytes[0] == RecordCodec.version else {
            throw StorageError.corrupted("record of unknown version or too short (\(bytes.count) bytes)")
        }
        guard RecordCodec.checksumMatches(bytes) else {
            throw StorageError.corrupted("record \(TypeID(prefix: .event, bytes: UnsafeRawBufferPointer(rebasing: bytes[1..<17]))): checksum mismatch (the stored bytes are damaged)")
        }
        flags = RecordCodec.Flags(rawValue: bytes[49])
        flags2 = RecordCodec.Flags2(rawValue: bytes[50])
        fixedEnd = 51 + (flags.contains(.target) ? 16 : 0)
        timesStart = fixedEnd + 3
        var o = timesStart + 8
        if flags.contains(.completedAt) { o += 8 }
        if flags.contains(.nextAttemptAt) { o += 8 }
        if flags2.contains(.leaseExpiresAt) { o += 8 }
        if flags2.contains(.leaseToken) { o += 8 }
        if flags2.contains(.searchSeq) { o += 4 }
        o += 4
        offsets = (0, 0, 0, 0, 0, 0, 0)
        func skip(_ present: Bool) throws -> Int {
            let start = o
            if present {
                guard o + 2 <= bytes.count else { throw StorageError.corrupted("record truncated") }
                o += 2 + Int(bytes.loadUnaligned(fromByteOffset: o, as: UInt16.self).littleEndian)
            }
            return start
        }
        offsets.remote = try skip(flags.contains(.remoteId))
        offsets.external = try skip(flags.contains(.externalEventRef))
        offsets.source = try skip(flags.contains(.sourceRevisionRef))
        offsets.search = try skip(flags.contains(.searchText))
        var summaryOffset = -1
        if flags.contains(.summary) {
            guard o + 4 <= bytes.count else { throw StorageError.corrupted("record truncated") }
            summaryOffset = Int(bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian)
            o += 4
        }
        guard o + 4 <= bytes.count else { throw StorageError.corrupted("record truncated") }
        let jsonLength = Int(bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian)
        o += 4
        offsets.json = o
        o += jsonLength
        guard o == bytes.count - RecordCodec.checksumLength, summaryOffset < jsonLength else {
            throw StorageError.corrupted("record truncated")
        }
        offsets.summary = summaryOffset < 0 ? -1 : offsets.json + summaryOffset
        offsets.end = o
    }

    @inline(__always) private func u64(_ at: Int) -> UInt64 { bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self).bigEndian }
    @inline(__always) private func i64(_ at: Int) -> Int64 { Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int64.self)) }

    var id: TypeID { TypeID(prefix: .event, high: u64(1), low: u64(9)) }
    var idBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[1..<17]) }
    var organizationId: TypeID { TypeID(prefix: .organization, high: u64(17), low: u64(25)) }
    var organizationBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[17..<33]) }
    var connectorInstanceId: TypeID { TypeID(prefix: .connectorInstance, high: u64(33), low: u64(41)) }
    var instanceBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[33..<49]) }
    var connectorTargetId: TypeID? {
        flags.contains(.target) ? TypeID(prefix: .connectorTarget, high: u64(51), low: u64(59)) : nil
    }
    var targetBytes: UnsafeRawBufferPointer? {
        flags.contains(.target) ? UnsafeRawBufferPointer(rebasing: bytes[51..<67]) : nil
    }
    var connectorType: ConnectorType { ConnectorType(code: bytes[fixedEnd]) ?? .github }
    var eventTypeCode: UInt8 { bytes[fixedEnd + 1] }
    var statusCode: UInt8 { bytes[fixedEnd + 2] }
    var eventType: EventType { EventType(code: eventTypeCode) ?? .push }
    var status: EventStatus { EventStatus(code: statusCode) ?? .pending }
    var startedAt: Timestamp { Timestamp(millisecondsSince1970: i64(timesStart)) }
    var completedAt: Timestamp? {
        flags.contains(.completedAt) ? Timestamp(millisecondsSince1970: i64(timesStart + 8)) : nil
    }
    var nextAttemptAt: Timestamp? {
        guard flags.contains(.nextAttemptAt) else { return nil }
        return Timestamp(millisecondsSince1970: i64(timesStart + (flags.contains(.completedAt) ? 16 : 8)))
    }
    var leaseExpiresAt: Timestamp? {
        guard flags2.contains(.leaseExpiresAt) else { return nil }
        var o = timesStart + 8
        if flags.contains(.completedAt) { o += 8 }
        if flags.contains(.nextAttemptAt) { o += 8 }
        return Timestamp(millisecondsSince1970: i64(o))
    }
    /// The fence of the claim holding the lease; 0 for a lease stored before fences existed.
    var leaseToken: ClaimToken? {
        guard flags2.contains(.leaseExpiresAt) else { return nil }
        guard flags2.contains(.leaseToken) else { return ClaimToken(value: 0) }
        var o = timesStart + 16
        if flags.contains(.completedAt) { o += 8 }
        if flags.contains(.nextAttemptAt) { o += 8 }
        return ClaimToken(value: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
    }
    /// A queued event that `claimDue` may take (its back-off, if any, is over and it was promoted).
    var isReady: Bool {
        status == .queued && !isQuarantined && (!flags.contains(.nextAttemptAt) || flags2.contains(.promoted))
    }
    /// Whether `claimDue` moved this backing-off queued event into the claim queue.
    var isPromoted: Bool { flags2.contains(.promoted) }
    /// Whether `claimDue` found the record undecodable and took it out of the claim queue.
    var isQuarantined: Bool { flags2.contains(.quarantined) }
    /// The stored lease, when the record has one.
    var lease: Lease? {
        guard let expiresAt = leaseExpiresAt, let token = leaseToken else { return nil }
        return Lease(expiresAt: expiresAt, token: token)
    }
    /// The record's number in the search index, stable for its lifetime.
    var searchSeq: UInt32? {
        guard flags2.contains(.searchSeq) else { return nil }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offsets.remote - 8, as: UInt32.self))
    }
    var attemptCount: Int {
        Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offsets.remote - 4, as: UInt32.self)))
    }
    private func string(_ at: Int, _ present: Bool) -> UnsafeRawBufferPointer? {
        guard present else { return nil }
        let n = Int(bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian)
        return UnsafeRawBufferPointer(rebasing: bytes[(at + 2)..<(at + 2 + n)])
    }
    var remoteId: UnsafeRawBufferPointer? { string(offsets.remote, flags.contains(.remoteId)) }
    var externalEventRef: UnsafeRawBufferPointer? { string(offsets.external, flags.contains(.externalEventRef)) }
    var sourceRevisionRef: UnsafeRawBufferPointer? { string(offsets.source, flags.contains(.sourceRevisionRef)) }
    /// The stored lowercased search text, when it differs from the raw refs.
    var storedSearchText: UnsafeRawBufferPointer? { string(offsets.search, flags.contains(.searchText)) }
    /// The summary's JSON text (the tail of the stored public JSON).
    var summary: UnsafeRawBufferPointer? {
        guard offsets.summary >= 0 else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[offsets.summary..<(offsets.end - 1)])
    }

    /// The event's public JSON, ready to copy into a response.
    var json: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[offsets.json..<offsets.end]) }

    /// Calls `body` with the lowercased search text `externalEventRef + "\n" + sourceRevisionRef`.
    func withSearchText<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let stored = storedSearchText { return try body(stored) }
        let e = externalEventRef
        let s = sourceRevisionRef
        let n = (e?.count ?? 0) + 1 + (s?.count ?? 0)
        return try withUnsafeTemporaryAllocation(byteCount: n, alignment: 1) { buf in
            var o = 0
            if let e, e.count > 0 {
                buf.baseAddress!.copyMemory(from: e.baseAddress!, byteCount: e.count)
                o = e.count
            }
            buf[o] = 0x0A
            o += 1
            if let s, s.count > 0 { (buf.baseAddress! + o).copyMemory(from: s.baseAddress!, byteCount: s.count) }
            return try body(UnsafeRawBufferPointer(buf))
        }
    }

    /// Appends the public JSON of the event (BEHAVIOUR.md §1), byte for byte what ``SyncEvent/jsonBytes`` gives.
    @inline(__always)
    func writeJSON(to out: inout [UInt8]) { out.append(contentsOf: json) }
}

extension UnsafeRawBufferPointer {
    func assumingMemoryBound(to: UInt8.Type) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: baseAddress?.assumingMemoryBound(to: UInt8.self), count: count)
    }
}
