/// The `q` index: for each organization and each distinct 1-, 2- and 3-byte gram of the lowercased
/// search text, the set of events containing it, as chunked posting containers in the `search` table.
///
/// Every event gets a `searchSeq` (a store-wide number, kept for its lifetime); containers hold the low
/// low bits of the seqs of one chunk of 8,192 seqs, as a sorted `UInt16` array or, when dense, a 1 KiB bitmap.
///
/// Keys of the `search` table:
/// - `org ‖ n ‖ gram (n bytes) ‖ chunk (u32 BE)` → container (`n` = 1…3)
/// - `org ‖ 0 ‖ seq (u32 BE)` → the event's 24-byte ``OrderKey``, to turn candidates into list positions.
///
/// A query's grams are its trigrams (or the query itself when shorter than three bytes); their
/// intersection is a superset of the matching events (exact for queries of 1–3 bytes), so a `q` that
/// matches nothing is answered from the containers alone.
enum SearchIndex {
    static let seqCounterPrefix: [UInt8] = Array("searchSeq".utf8)
    /// Seqs per container chunk: 2^13, so that a container (at most a 1 KiB bitmap) stays inside an LMDB
    /// leaf page instead of taking overflow pages of its own.
    static let chunkBits: UInt32 = 13
    /// Values per chunk.
    static let chunkSize = 1 << Int(chunkBits)
    /// Containers with more entries than this become bitmaps (the delta-encoded array would be larger).
    static let arrayLimit = chunkSize / 8

    @inline(__always) static func chunk(_ seq: UInt32) -> UInt32 { seq >> chunkBits }
    @inline(__always) static func low(_ seq: UInt32) -> UInt16 { UInt16(truncatingIfNeeded: seq & UInt32(chunkSize - 1)) }

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

    /// The `meta` key of an organization's seq counter. Seqs are numbered per organization, so that
    /// each container chunk holds one organization's events densely.
    static func seqCounterKey(_ org: TypeID) -> [UInt8] { seqCounterKey(organization: org.bytes) }

    /// The key of an organization's seq counter, from the organization's 16 id bytes.
    static func seqCounterKey(organization: [UInt8]) -> [UInt8] { seqCounterPrefix + organization }

    /// Seqs assigned so far in the organization whose counter is at `key` (0 before its first event).
    static func assignedSeqs(_ txn: some StorageReadTransaction, counter key: [UInt8]) throws -> UInt32 {
        try txn.withValue(.meta, key) { v -> UInt32 in
            guard v.count == 4 else { throw StorageError.corrupted("search seq counter of \(v.count) bytes") }
            return v.loadUnaligned(as: UInt32.self).littleEndian
        } ?? 0
    }

    /// The next search seq of `org`.
    static func nextSeq(_ txn: some StorageWriteTransaction, org: TypeID) throws -> UInt32 {
        try reserveSeqs(txn, org: org, count: 1)
    }

    /// Reserves `count` consecutive seqs of `org`; returns the first.
    static func reserveSeqs(_ txn: some StorageWriteTransaction, org: TypeID, count: Int) throws -> UInt32 {
        let key = seqCounterKey(org)
        let current = try assignedSeqs(txn, counter: key)
        guard UInt64(current) + UInt64(count) < UInt64(UInt32.max) else {
            throw StorageError.storageFull(limit: Int(UInt32.max))
        }
        try txn.put(.meta, key, withUnsafeBytes(of: (current + UInt32(count)).littleEndian) { Array($0) })
        return current
    }

    /// Keeps the index in step with a record change (insert: `old` nil; delete: `new` nil).
    static func update(_ txn: some StorageWriteTransaction, old: RecordView?, new: RecordView?) throws {
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
        let key = containerKey(org: org, gram: g, chunk: chunk(seq))
        var container = try txn.withValue(.search, key) { PostingContainer(bytes: $0) } ?? PostingContainer()
        let changed = insert ? container.insert(low(seq)) : container.remove(low(seq))
        guard changed else { return }
        if container.count == 0 { try txn.delete(.search, key) } else { try txn.put(.search, key, container.encoded()) }
    }

    // MARK: Reads

    /// Most candidates worth taking from the index for a page of `pageSize` events in `org`, before walking
    /// the organization and checking records is cheaper.
    ///
    /// A needle with `m` matches among `n` events costs the index about `m` look-ups (each candidate's list
    /// position), and the walk about `pageSize · n / m` record reads: the index is cheaper while
    /// `m² < balance · pageSize · n`, `balance` being a walk step's cost over a look-up's (measured: ~0.5).
    /// So the limit grows with the square root of the organization's size (`n` is its search seqs, every
    /// event it ever held): in one organization of 5M events a needle in 0.1 % of them (5,000 matches) is
    /// intersected, where a fixed limit walked 50,000 records to fill a page. `floor` (``Configuration``'s
    /// `searchCandidateLimit`) holds in organizations below ~650,000 events.
    static func candidateBudget<Txn: StorageReadTransaction>(
        _ txn: Txn, org: [UInt8], pageSize: Int, floor: Int, balance: Double
    ) -> Int {
        guard balance > 0 else { return floor }
        // Planning only: a damaged counter (which `verify` reports) leaves the limit at its floor.
        let assigned = (try? assignedSeqs(txn, counter: seqCounterKey(organization: org))) ?? 0
        let budget = (balance * Double(max(pageSize, 1)) * Double(assigned)).squareRoot()
        return max(floor, Int(min(budget, Double(Int32.max))))
    }

    /// The list positions of the events of `org` that may contain `needle` (lowercased UTF-8), sorted; `nil`
    /// when there are more than `maximum` (the caller then checks records as it walks instead).
    ///
    /// Only the size of the intersection decides, never the size of one gram's postings: in a large
    /// organization every gram of a hex needle (a commit SHA, a delivery GUID) is common, while the
    /// needle itself is rare, and giving up on a common gram made such a `q` walk the whole organization
    /// (about a second at 1.5M events). Intersecting costs at most the rarest gram's postings.
    static func candidates<Txn: StorageReadTransaction>(
        _ txn: Txn, org: [UInt8], needle: [UInt8], maximum: Int
    ) throws -> [OrderKey]? {
        guard !needle.isEmpty else { return nil }
        let grams = needleGrams(needle)
        // One cursor per gram over its containers, in chunk order. The containers' headers give each
        // gram's total without decoding a value: decoding every container of a common gram cost more
        // than the walk it was meant to avoid (`q=manual` at 1M: half its time).
        var streams: [GramContainers<Txn.Cursor>] = []
        for g in grams {
            let prefix = org.withUnsafeBytes { containerKey(org: $0, gram: g, chunk: nil) }
            var stream = GramContainers(cursor: try txn.makeCursor(.search), prefix: prefix)
            if try stream.total() == 0 { return [] }
            _ = try stream.first()
            streams.append(stream)
        }
        streams.sort { $0.totalCount < $1.totalCount }
        let baseTotal = streams[0].totalCount
        // A frequent smallest gram means many matches are likely: the walk finds them sooner than a
        // candidate list would be built.
        if grams.count == 1 && baseTotal > maximum { return nil }
        var seqs: [UInt32] = []
        var seen = 0
        var readers: [PostingReader] = Array(repeating: PostingReader(), count: streams.count)
        var base = streams[0].chunk
        while let chunk = base {
            try readers[0].load(streams[0])
            // The other grams' containers of this chunk are found and loaded only when a value of the rarest
            // gram gets that far: a 12-hex SHA prefix has 10 grams, each in ~1.7 % of the events of a large
            // organization, and two or three of them usually leave no value in a chunk. Loading all ten for
            // every chunk was most of such a `q`'s time.
            var loaded = 1
            let seenBefore = seen
            // Intersect lazily in value order, decoding only as far as the walk goes: a dense needle is
            // given up after a sample of the rarest gram, not after decoding all of it.
            values: while let v = readers[0].next() {
                seen += 1
                for i in readers.indices.dropFirst() {
                    if i == loaded {
                        // A chunk that one of the other grams never reaches holds no candidate; no value of
                        // it was taken yet (a candidate passes every gram), and it counts as unseen.
                        guard try streams[i].seek(chunk) else {
                            seen = seenBefore
                            break values
                        }
                        try readers[i].load(streams[i])
                        loaded += 1
                    }
                    guard let w = readers[i].seek(v) else {
                        seen += readers[0].remaining
                        break values
                    }
                    if w != v { continue values }
                }
                seqs.append(chunk << chunkBits | UInt32(v))
                // Dense: the walk finds `limit` matches sooner than the whole list would be built. Once
                // the values intersected so far are a fair sample, a needle whose matches would pass
                // `maximum` at that rate is left to the walk too (`q=manual`: a tenth of all events).
                if seqs.count > maximum { return nil }
                if seen >= 256 {
                    let (budget, overflow) = maximum.multipliedReportingOverflow(by: seen)
                    if !overflow && seqs.count * baseTotal > budget { return nil }
                }
            }
            base = try streams[0].next()
        }
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

/// The containers of one gram of one organization, walked in chunk order by a cursor of its own.
struct GramContainers<Cursor: StorageCursor> {
    private var cursor: Cursor
    private let prefix: [UInt8]
    /// The chunk the cursor is on, `nil` past the gram's last container.
    private(set) var chunk: UInt32?
    /// The gram's postings as ``total()`` found or estimated them.
    private(set) var totalCount = 0

    init(cursor: Cursor, prefix: [UInt8]) {
        self.cursor = cursor
        self.prefix = prefix
    }

    /// Containers whose headers ``total()`` reads at most.
    static var sampledContainers: Int { 8 }

    /// The gram's postings, for planning only (which gram leads the intersection, whether the needle is
    /// dense): the exact sum of the container headers when the gram has at most ``sampledContainers``
    /// containers, else the newest ones' counts scaled to the chunks the gram spans. Exactly 0 when the
    /// gram has no posting. Reading every header made a dense `q` cost more as the organization grew
    /// (77 containers a gram at 5M events).
    mutating func total() throws -> Int {
        var sum = 0
        var read = 0
        var newest: UInt32 = 0
        var oldest: UInt32 = 0
        var complete = true
        var more = try cursor.seek(atOrBefore: prefix + [0xFF, 0xFF, 0xFF, 0xFF])
        while more, let (chunk, count) = try cursor.withCurrent({ k, v -> (UInt32, Int)? in
            guard Self.matches(k, prefix) else { return nil }
            return (k.loadUnaligned(fromByteOffset: prefix.count, as: UInt32.self).bigEndian, PostingReader.headerCount(v))
        }) {
            if read == 0 { newest = chunk }
            oldest = chunk
            sum += count
            read += 1
            if read == Self.sampledContainers {
                complete = oldest == 0
                break
            }
            more = try cursor.previous()
        }
        totalCount = complete ? sum : sum * (Int(newest) + 1) / (Int(newest - oldest) + 1)
        return totalCount
    }

    private static func matches(_ k: UnsafeRawBufferPointer, _ prefix: [UInt8]) -> Bool {
        k.count == prefix.count + 4 && k.starts(with: prefix)
    }

    private mutating func readChunk() throws -> UInt32? {
        chunk = try cursor.withCurrent { k, _ in
            Self.matches(k, prefix) ? k.loadUnaligned(fromByteOffset: prefix.count, as: UInt32.self).bigEndian : nil
        }
        return chunk
    }

    /// Moves to the gram's first container; its chunk, or `nil` when the gram has none.
    mutating func first() throws -> UInt32? {
        guard try cursor.seek(atOrAfter: prefix) else {
            chunk = nil
            return nil
        }
        return try readChunk()
    }

    /// Moves to the next container; its chunk, or `nil` after the last.
    mutating func next() throws -> UInt32? {
        guard chunk != nil, try cursor.next() else {
            chunk = nil
            return nil
        }
        return try readChunk()
    }

    /// Moves forward to the container of `target` (after ``first()``; chunks only grow); `false` when the
    /// gram has none.
    mutating func seek(_ target: UInt32) throws -> Bool {
        if let c = chunk, c < target, target - c > Self.stepsBeforeDescent {
            // Far behind (a gram the intersection seldom needs): one descent instead of a step a container.
            var key = prefix
            withUnsafeBytes(of: target.bigEndian) { key.append(contentsOf: $0) }
            guard try cursor.seek(atOrAfter: key) else {
                chunk = nil
                return false
            }
            _ = try readChunk()
        }
        while let c = chunk, c < target { _ = try next() }
        return chunk == target
    }

    /// Containers a ``seek(_:)`` steps over one by one before it descends from the root instead.
    static var stepsBeforeDescent: UInt32 { 8 }

    /// Calls `body` with the current container's bytes.
    func withContainer<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try cursor.withCurrent { _, v in try body(v) }
    }
}

/// Reads a posting container's values in ascending order without decoding it whole (see
/// ``PostingContainer`` for the encodings). A damaged container reads as fewer values, never past its
/// end.
struct PostingReader {
    private var bytes: [UInt8] = []
    private var kind: UInt8 = 2
    private var offset = 5
    private var left = 0
    private var previous = 0
    /// Bitmap: the word being read and its bits not yet returned.
    private var word = -1
    private var bits: UInt64 = 0
    /// The value ``seek(_:)`` stopped at, not yet passed.
    private var head: UInt16?

    /// The count in a container's header (bounded by the chunk size), 0 for fewer than 5 bytes.
    static func headerCount(_ v: UnsafeRawBufferPointer) -> Int {
        guard v.count >= 5 else { return 0 }
        return min(Int(v.loadUnaligned(fromByteOffset: 1, as: UInt32.self).littleEndian), SearchIndex.chunkSize)
    }

    /// Starts reading the container `stream` is on (its bytes are copied: the cursors move on).
    mutating func load(_ stream: GramContainers<some StorageCursor>) throws {
        try stream.withContainer { load($0) }
    }

    /// Starts reading the encoded container `container` (copied).
    mutating func load(_ container: UnsafeRawBufferPointer) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: container)
        left = 0
        offset = 5
        previous = 0
        word = -1
        bits = 0
        head = nil
        guard bytes.count >= 5 else { return }
        kind = bytes[0]
        left = bytes.withUnsafeBytes { Self.headerCount($0) }
        switch kind {
        case 1:
            if bytes.count < 5 + 8 * PostingContainer.wordCount { left = 0 }
        case 2:
            break
        default:
            left = min(left, (bytes.count - 5) / 2)
        }
    }

    /// How many values are left after the last one returned.
    var remaining: Int {
        guard kind == 1 else { return left + (head == nil ? 0 : 1) }
        guard left > 0 else { return 0 }
        var n = bits.nonzeroBitCount + (head == nil ? 0 : 1)
        var w = word + 1
        while w < PostingContainer.wordCount {
            n += loadWord(w).nonzeroBitCount
            w += 1
        }
        return n
    }

    private func loadWord(_ w: Int) -> UInt64 {
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 5 + 8 * w, as: UInt64.self).littleEndian }
    }

    /// The next value, or `nil` at the end.
    mutating func next() -> UInt16? {
        if let h = head {
            head = nil
            return h
        }
        return advance()
    }

    /// The first value `>= target` (values below it are passed; the one returned is not), or `nil`.
    mutating func seek(_ target: UInt16) -> UInt16? {
        if let h = head {
            if h >= target { return h }
            head = nil
        }
        if kind == 1, left > 0 {
            // Jump straight to the target's word.
            let w = Int(target >> 6)
            if w > word {
                guard w < PostingContainer.wordCount else {
                    left = 0
                    return nil
                }
                word = w
                bits = loadWord(w)
            }
            if w == word { bits &= ~0 << UInt64(target & 63) }
        }
        while let v = advance() {
            if v >= target {
                head = v
                return v
            }
        }
        return nil
    }

    private mutating func advance() -> UInt16? {
        guard left > 0 else { return nil }
        switch kind {
        case 1:
            while bits == 0 {
                word += 1
                guard word < PostingContainer.wordCount else {
                    left = 0
                    return nil
                }
                bits = loadWord(word)
            }
            let v = UInt16(word * 64 + bits.trailingZeroBitCount)
            bits &= bits - 1
            return v
        case 2:
            var delta = 0
            var shift = 0
            while offset < bytes.count, shift < 21 {
                let b = bytes[offset]
                offset += 1
                delta |= Int(b & 0x7F) << shift
                shift += 7
                if b & 0x80 == 0 {
                    left -= 1
                    previous += delta
                    return UInt16(truncatingIfNeeded: previous)
                }
            }
            left = 0
            return nil
        default:
            let i = offset
            offset += 2
            left -= 1
            return bytes.withUnsafeBytes { UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: i, as: UInt16.self)) }
        }
    }
}

/// A set of values below ``SearchIndex/chunkSize``: a sorted `UInt16` array, or a bitmap when dense.
///
/// Encoded as `u8 kind ‖ u32 count (LE) ‖ payload`: kind 2, the gaps between sorted values as LEB128
/// varints (about one byte a value); kind 1, the bitmap; kind 0 (read only), raw `UInt16` LE values.
struct PostingContainer {
    static let wordCount = SearchIndex.chunkSize / 64

    private var array: [UInt16] = []
    private var words: [UInt64] = []
    private var isBitmap = false
    private(set) var count = 0

    init() {}

    init(bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 5 else { return }
        if bytes[0] == 1 {
            guard bytes.count >= 5 + 8 * PostingContainer.wordCount else { return }
            // Bounded by what the bytes can hold: a damaged container reads as fewer entries, never past its end.
            count = PostingReader.headerCount(bytes)
            isBitmap = true
            words = [UInt64](repeating: 0, count: PostingContainer.wordCount)
            words.withUnsafeMutableBytes {
                $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[5..<(5 + 8 * PostingContainer.wordCount)]))
            }
        } else {
            // The sorted arrays (delta varints, or raw values) decode as the lazy reader reads them.
            var reader = PostingReader()
            reader.load(bytes)
            array.reserveCapacity(reader.remaining)
            while let v = reader.next() { array.append(v) }
            count = array.count
        }
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = [isBitmap ? 1 : 2]
        withUnsafeBytes(of: UInt32(count).littleEndian) { out.append(contentsOf: $0) }
        if isBitmap {
            words.withUnsafeBytes { out.append(contentsOf: $0) }
        } else {
            out.reserveCapacity(5 + 2 * array.count)
            var previous = 0
            for v in array {
                var delta = Int(v) - previous
                previous = Int(v)
                while delta >= 0x80 {
                    out.append(UInt8(delta & 0x7F) | 0x80)
                    delta >>= 7
                }
                out.append(UInt8(delta))
            }
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
        words = [UInt64](repeating: 0, count: PostingContainer.wordCount)
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
