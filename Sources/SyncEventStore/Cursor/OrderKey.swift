/// A position in list order as three big-endian words: `~startedAt`, `~id.high`, `~id.low`.
///
/// Ascending `OrderKey` order is the API's order: `startedAt` descending, then `id` descending. It is
/// the 24-byte suffix of every list index key, so comparing keys compares positions.
struct OrderKey: Comparable, Hashable {
    var a: UInt64
    var b: UInt64
    var c: UInt64

    static let minimum = OrderKey(a: 0, b: 0, c: 0)

    init(a: UInt64, b: UInt64, c: UInt64) {
        self.a = a
        self.b = b
        self.c = c
    }

    init(startedAt: Int64, id: TypeID) {
        self.init(a: ~IndexKey.biased(startedAt), b: ~id.high, c: ~id.low)
    }

    /// Reads the 24 bytes at `offset` of `key`.
    @inline(__always)
    init(_ key: UnsafeRawBufferPointer, offset: Int) {
        a = key.loadUnaligned(fromByteOffset: offset, as: UInt64.self).bigEndian
        b = key.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self).bigEndian
        c = key.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self).bigEndian
    }

    var startedAt: Int64 { IndexKey.unbiased(~a) }
    var id: TypeID { TypeID(prefix: .event, high: ~b, low: ~c) }

    /// The 16 id bytes (the `events` table key).
    var idBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        IndexKey.appendBE(~b, to: &out)
        IndexKey.appendBE(~c, to: &out)
        return out
    }

    /// Calls `body` with the 16 id bytes, without allocating.
    @inline(__always)
    func withIDBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: ((~b).bigEndian, (~c).bigEndian)) { try body($0) }
    }

    @inline(__always)
    func append(to out: inout [UInt8]) {
        IndexKey.appendBE(a, to: &out)
        IndexKey.appendBE(b, to: &out)
        IndexKey.appendBE(c, to: &out)
    }

    /// The next possible key, or `nil` after the last one.
    var successor: OrderKey? {
        if c != .max { return OrderKey(a: a, b: b, c: c + 1) }
        if b != .max { return OrderKey(a: a, b: b + 1, c: 0) }
        if a != .max { return OrderKey(a: a + 1, b: 0, c: 0) }
        return nil
    }

    static func < (l: OrderKey, r: OrderKey) -> Bool { (l.a, l.b, l.c) < (r.a, r.b, r.c) }
}
