/// The `q` index: for each organization and each distinct 1-, 2- and 3-byte gram of the lowercased
/// search text, the set of events containing it, as chunked posting containers in the `search` table.
///
/// Every event gets a `searchSeq` (a store-wide number, kept for its lifetime); containers hold the low
/// 16 bits of the seqs of one 65,536-seq chunk, as a sorted `UInt16` array or, when dense, a bitmap.
///
/// Keys of the `search` table:
/// - `org ‖ n ‖ gram (n bytes) ‖ chunk (u32 BE)` → container (`n` = 1…3)
/// - `org ‖ 0 ‖ seq (u32 BE)` → the event's 24-byte ``OrderKey``, to turn candidates into list positions.
///
/// A query's grams are its trigrams (or the query itself when shorter than three bytes); their
/// intersection is a superset of the matching events (exact for queries of 1–3 bytes), so a `q` that
/// matches nothing is answered from the containers alone.
enum SearchIndex {
    static let seqCounterKey: [UInt8] = Array("searchSeq".utf8)
    /// Containers with more entries than this become bitmaps.
    static let arrayLimit = 4096

    // MARK: Grams

    /// A gram packed as `n << 24 | b0 << 16 | b1 << 8 | b2`.
    @inline(__always) static func gram(_ p: UnsafeRawBufferPointer, _ i: Int, _ n: Int) -> UInt32 {
        var g = UInt32(n) << 24
        for k in 0..<n { g |= UInt32(p[i + k]) << UInt32(16 - 8 * k) }
        return g
    }

    /// The distinct grams (n = 1…3) of a lowercased search text.
    static func grams(of text: UnsafeRawBufferPointer) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.count * 3)
        for n in 1...3 where text.count >= n {
            for i in 0...(text.count - n) { out.append(gram(text, i, n)) }
        }
        out.sort()
        var w = 0
        for r in out.indices where r == 0 || out[r] != out[r - 1] {
            out[w] = out[r]
            w += 1
        }
        out.removeLast(out.count - w)
        return out
    }

    /// The grams a needle must contain: its distinct trigrams, or itself when shorter.
    static func needleGrams(_ needle: [UInt8]) -> [UInt32] {
        needle.withUnsafeBytes { p in
            if p.count < 3 { return [gram(p, 0, p.count)] }
            return Array(Set((0...(p.count - 3)).map { gram(p, $0, 3) }))
        }
    }

    static func containerKey(org: UnsafeRawBufferPointer, gram: UInt32, chunk: UInt32?) -> [UInt8] {
        var k = [UInt8](org)
        let n = Int(gram >> 24)
        k.append(UInt8(n))
        for i in 0..<n { k.append(UInt8(truncatingIfNeeded: gram >> UInt32(16 - 8 * i))) }
        if let chunk { withUnsafeBytes(of: chunk.bigEndian) { k.append(contentsOf: $0) } }
        return k
    }

    static func seqKey(org: UnsafeRawBufferPointer, seq: UInt32) -> [UInt8] {
        var k = [UInt8](org)
        k.append(0)
        withUnsafeBytes(of: seq.bigEndian) { k.append(contentsOf: $0) }
        return k
    }

    // MARK: Writes

    /// The next search seq, from the counter in `meta`.
    static func nextSeq(_ txn: some StorageWriteTransaction) throws -> UInt32 {
        let current = try txn.withValue(.meta, seqCounterKey) { $0.loadUnaligned(as: UInt32.self).littleEndian } ?? 0
        guard current < UInt32.max else { throw StorageError.storageFull(limit: Int(UInt32.max)) }
        try txn.put(.meta, seqCounterKey, withUnsafeBytes(of: (current + 1).littleEndian) { Array($0) })
        return current
    }

    /// Reserves `count` consecutive seqs; returns the first.
    static func reserveSeqs(_ txn: some StorageWriteTransaction, count: Int) throws -> UInt32 {
        let current = try txn.withValue(.meta, seqCounterKey) { $0.loadUnaligned(as: UInt32.self).littleEndian } ?? 0
        guard UInt64(current) + UInt64(count) < UInt64(UInt32.max) else { throw StorageError.storageFull(limit: Int(UInt32.max)) }
        try txn.put(.meta, seqCounterKey, withUnsafeBytes(of: (current + UInt32(count)).littleEndian) { Array($0) })
        return current
    }

    /// Keeps the index in step with a record change (insert: `old` nil; delete: `new` nil).
    static func update(
        _ txn: some StorageWriteTransaction, old: RecordView?, new: RecordView?, batch: SearchBatch? = nil
    ) throws {
        if old == nil, let new, let seq = new.searchSeq, let batch {
            try putOrder(txn, new, seq)
            batch.add(new, seq: seq)
            return
        }
        if let old, let new, let seq = new.searchSeq, old.searchSeq == seq {
            let sameText = old.withSearchText { a in new.withSearchText { b in a.elementsEqual(b) } }
            let sameOrder = old.startedAt == new.startedAt
            if !sameOrder { try putOrder(txn, new, seq) }
            if sameText { return }
            let before = old.withSearchText { grams(of: $0) }
            let after = new.withSearchText { grams(of: $0) }
            let a = Set(before)
            let b = Set(after)
            let org = new.organizationBytes
            for g in before where !b.contains(g) { try edit(txn, org, g, seq, insert: false) }
            for g in after where !a.contains(g) { try edit(txn, org, g, seq, insert: true) }
            return
        }
        if let old, let seq = old.searchSeq {
            let org = UnsafeRawBufferPointer(old.organizationBytes)
            try txn.delete(.search, seqKey(org: org, seq: seq))
            for g in old.withSearchText({ grams(of: $0) }) { try edit(txn, org, g, seq, insert: false) }
        }
        if let new, let seq = new.searchSeq {
            let org = UnsafeRawBufferPointer(new.organizationBytes)
            try putOrder(txn, new, seq)
            for g in new.withSearchText({ grams(of: $0) }) { try edit(txn, org, g, seq, insert: true) }
        }
    }

    static func putOrder(_ txn: some StorageWriteTransaction, _ r: RecordView, _ seq: UInt32) throws {
        var order: [UInt8] = []
        order.reserveCapacity(24)
        OrderKey(startedAt: r.startedAt.millisecondsSince1970, id: r.id).append(to: &order)
        try txn.put(.search, seqKey(org: r.organizationBytes, seq: seq), order)
    }

    static func edit(_ txn: some StorageWriteTransaction, _ org: UnsafeRawBufferPointer, _ g: UInt32, _ seq: UInt32, insert: Bool) throws {
        let key = containerKey(org: org, gram: g, chunk: seq >> 16)
        var container = try txn.withValue(.search, key) { PostingContainer(bytes: $0) } ?? PostingContainer()
        let changed = insert ? container.insert(UInt16(truncatingIfNeeded: seq)) : container.remove(UInt16(truncatingIfNeeded: seq))
        guard changed else { return }
        if container.count == 0 { try txn.delete(.search, key) } else { try txn.put(.search, key, container.encoded()) }
    }

    // MARK: Reads

    /// The list positions of the events of `org` that may contain `needle` (lowercased UTF-8), sorted; `nil`
    /// when there are more than `maximum` (the caller then checks records as it walks instead).
    static func candidates(
        _ txn: some StorageReadTransaction, org: [UInt8], needle: [UInt8], maximum: Int
    ) throws -> [OrderKey]? {
        guard !needle.isEmpty else { return nil }
        let grams = needleGrams(needle)
        // Load each gram's containers by chunk.
        var sets: [[UInt32: PostingContainer]] = []
        var totals: [Int] = []
        var cursor = try txn.makeCursor(.search)
        for g in grams {
            let prefix = org.withUnsafeBytes { containerKey(org: $0, gram: g, chunk: nil) }
            var chunks: [UInt32: PostingContainer] = [:]
            var total = 0
            var more = try cursor.seek(atOrAfter: prefix)
            while more {
                let entry = try cursor.withCurrent { k, v -> (UInt32, PostingContainer)? in
                    guard k.count == prefix.count + 4, k.starts(with: prefix) else { return nil }
                    return (k.loadUnaligned(fromByteOffset: prefix.count, as: UInt32.self).bigEndian, PostingContainer(bytes: v))
                }
                guard let (chunk, container) = entry else { break }
                chunks[chunk] = container
                total += container.count
                more = try cursor.next()
            }
            if total == 0 { return [] }
            sets.append(chunks)
            totals.append(total)
        }
        // Start from the smallest set, filter by the others.
        let order = totals.indices.sorted { totals[$0] < totals[$1] }
        let base = sets[order[0]]
        // A frequent smallest gram means many matches are likely: the walk finds them sooner than a
        // candidate list would be built.
        if grams.count == 1 && totals[order[0]] > maximum { return nil }
        if totals[order[0]] > maximum * 4 { return nil }
        var seqs: [UInt32] = []
        for (chunk, container) in base {
            container.forEach { low in
                let seq = chunk << 16 | UInt32(low)
                for i in order.dropFirst() {
                    guard let c = sets[i][chunk], c.contains(low) else { return }
                }
                seqs.append(seq)
            }
        }
        if seqs.count > maximum { return nil }
        var keys: [OrderKey] = []
        keys.reserveCapacity(seqs.count)
        for seq in seqs {
            let key = org.withUnsafeBytes { seqKey(org: $0, seq: seq) }
            if let k = try txn.withValue(.search, key, { OrderKey($0, offset: 0) }) { keys.append(k) }
        }
        keys.sort()
        return keys
    }
}

/// A set of 16-bit values: a sorted array, or a 65,536-bit bitmap when dense.
///
/// Encoded as `u8 kind ‖ u32 count (LE) ‖ payload` (kind 0: `UInt16` LE values; kind 1: 8,192 bytes).
struct PostingContainer {
    private var array: [UInt16] = []
    private var words: [UInt64] = []
    private var isBitmap = false
    private(set) var count = 0

    init() {}

    init(bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 5 else { return }
        count = Int(bytes.loadUnaligned(fromByteOffset: 1, as: UInt32.self).littleEndian)
        if bytes[0] == 1 {
            isBitmap = true
            words = [UInt64](repeating: 0, count: 1024)
            words.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[5..<(5 + 8192)])) }
        } else {
            array = [UInt16](unsafeUninitializedCapacity: count) { buf, n in
                for i in 0..<count { buf[i] = bytes.loadUnaligned(fromByteOffset: 5 + 2 * i, as: UInt16.self).littleEndian }
                n = count
            }
        }
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = [isBitmap ? 1 : 0]
        withUnsafeBytes(of: UInt32(count).littleEndian) { out.append(contentsOf: $0) }
        if isBitmap {
            words.withUnsafeBytes { out.append(contentsOf: $0) }
        } else {
            out.reserveCapacity(5 + 2 * array.count)
            array.withUnsafeBytes { out.append(contentsOf: $0) }  // little-endian platforms
        }
        return out
    }

    private func position(_ v: UInt16) -> Int {
        var lo = 0
        var hi = array.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if array[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    func contains(_ v: UInt16) -> Bool {
        if isBitmap { return words[Int(v >> 6)] & (1 << UInt64(v & 63)) != 0 }
        let p = position(v)
        return p < array.count && array[p] == v
    }

    private mutating func convertToBitmap() {
        words = [UInt64](repeating: 0, count: 1024)
        for x in array { words[Int(x >> 6)] |= 1 << UInt64(x & 63) }
        array = []
        isBitmap = true
    }

    mutating func insert(_ v: UInt16) -> Bool {
        if isBitmap {
            let bit: UInt64 = 1 << UInt64(v & 63)
            if words[Int(v >> 6)] & bit != 0 { return false }
            words[Int(v >> 6)] |= bit
            count += 1
            return true
        }
        let p = position(v)
        if p < array.count && array[p] == v { return false }
        array.insert(v, at: p)
        count += 1
        if count > SearchIndex.arrayLimit { convertToBitmap() }
        return true
    }

    /// Adds values larger than every value present, in ascending order (a batch import).
    mutating func append(contentsOf values: [UInt16]) {
        if !isBitmap && count + values.count > SearchIndex.arrayLimit { convertToBitmap() }
        if isBitmap {
            for v in values {
                let bit: UInt64 = 1 << UInt64(v & 63)
                if words[Int(v >> 6)] & bit == 0 {
                    words[Int(v >> 6)] |= bit
                    count += 1
                }
            }
        } else {
            for v in values where array.last.map({ $0 < v }) ?? true {
                array.append(v)
                count += 1
            }
        }
    }

    mutating func remove(_ v: UInt16) -> Bool {
        if isBitmap {
            let bit: UInt64 = 1 << UInt64(v & 63)
            if words[Int(v >> 6)] & bit == 0 { return false }
            words[Int(v >> 6)] &= ~bit
            count -= 1
            return true
        }
        let p = position(v)
        guard p < array.count && array[p] == v else { return false }
        array.remove(at: p)
        count -= 1
        return true
    }

    func forEach(_ body: (UInt16) -> Void) {
        if isBitmap {
            for (w, word) in words.enumerated() where word != 0 {
                var bits = word
                while bits != 0 {
                    body(UInt16(w * 64 + bits.trailingZeroBitCount))
                    bits &= bits - 1
                }
            }
        } else {
            array.forEach(body)
        }
    }
}
