#if canImport(Glibc)
import Glibc
#endif

/// One list index range (`prefix ‖ orderKey`), walked in order.
struct RangeStream<C: StorageCursor> {
    private var cursor: C
    let prefix: [UInt8]
    /// Entries whose 1-byte value is another code are passed over (a `target` range for one event type);
    /// entries with an empty value are kept.
    let valueCode: UInt8?
    private(set) var current: OrderKey?
    private var started = false

    init(cursor: C, prefix: [UInt8], valueCode: UInt8? = nil) {
        self.cursor = cursor
        self.prefix = prefix
        self.valueCode = valueCode
    }

    /// The first key `>= target`, or `nil` when the range has none.
    mutating func seek(_ target: OrderKey) throws -> OrderKey? {
        if started {
            guard let c = current else { return nil }
            if c >= target { return c }
            // Usually the wanted key is the next one: one step is cheaper than a seek from the root.
            if try cursor.next() {
                try load()
                guard let n = current else { return nil }
                if n >= target { return n }
            } else {
                current = nil
                return nil
            }
        }
        started = true
        var key = prefix
        key.reserveCapacity(prefix.count + 24)
        target.append(to: &key)
        if try cursor.seek(atOrAfter: key) { try load() } else { current = nil }
        return current
    }

    private mutating func load() throws {
        let p = prefix
        let code = valueCode
        while true {
            var passed = false
            current = try cursor.withCurrent { k, v -> OrderKey? in
                guard k.count == p.count + 24 else { return nil }
                let same = p.withUnsafeBytes { pb in memcmp(pb.baseAddress!, k.baseAddress!, p.count) == 0 }
                guard same else { return nil }
                if let code, v.count == 1, v[0] != code {
                    passed = true
                    return nil
                }
                return OrderKey(k, offset: p.count)
            }
            guard passed else { return }
            guard try cursor.next() else {
                current = nil
                return
            }
        }
    }
}

/// A source of order keys: one range, the union of several (a member's instances), or keys known in
/// advance (the `q` index's candidates). A class, so that its cursors advance in place.
final class OrderStream<C: StorageCursor> {
    // Used by one page walk on one thread: skip the dynamic exclusivity checks.
    @exclusivity(unchecked) private var ranges: [RangeStream<C>]
    @exclusivity(unchecked) private var keys: [OrderKey]
    @exclusivity(unchecked) private var index = 0

    /// One index range.
    init(range: RangeStream<C>) {
        ranges = [range]
        keys = []
    }

    /// The union of several index ranges.
    init(union: [RangeStream<C>]) {
        ranges = union
        keys = []
    }

    /// Sorted keys known in advance.
    init(keys: [OrderKey]) {
        ranges = []
        self.keys = keys
    }

    /// The first key `>= target` in the stream, or `nil`.
    func seek(_ target: OrderKey) throws -> OrderKey? {
        if ranges.isEmpty { return seekKeys(target) }
        if ranges.count == 1 { return try ranges[0].seek(target) }
        var best: OrderKey?
        for i in ranges.indices {
            if let k = try ranges[i].seek(target), best.map({ k < $0 }) ?? true { best = k }
        }
        return best
    }

    private func seekKeys(_ target: OrderKey) -> OrderKey? {
        var i = index
        // Gallop forward from the current index.
        if i < keys.count, keys[i] < target {
            var step = 1
            var lo = i
            while lo + step < keys.count, keys[lo + step] < target {
                lo += step
                step *= 2
            }
            var hi = min(keys.count, lo + step)
            lo += 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if keys[mid] < target { lo = mid + 1 } else { hi = mid }
            }
            i = lo
        }
        index = i
        return i < keys.count ? keys[i] : nil
    }
}

/// Leapfrog intersection of sorted streams: yields the keys present in all of them.
struct Intersection<C: StorageCursor> {
    let streams: [OrderStream<C>]

    /// The first key `>= target` present in every stream, or `nil`.
    func seek(_ start: OrderKey) throws -> OrderKey? {
        guard !streams.isEmpty else { return nil }
        var target = start
        var agreed = 0
        var i = 0
        while true {
            guard let k = try streams[i].seek(target) else { return nil }
            if k == target {
                agreed += 1
            } else {
                target = k
                agreed = 1
            }
            if agreed == streams.count { return target }
            i = (i + 1) % streams.count
        }
    }
}
