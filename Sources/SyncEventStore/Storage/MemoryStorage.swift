import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A sorted map with copy-on-write chunks: a snapshot is a copy of the chunk list, and a write copies
/// only the chunks it touches while a snapshot shares them.
struct ChunkedSortedMap: Sendable {
    final class Chunk: @unchecked Sendable {  // mutated only when uniquely referenced by the writer
        var keys: [[UInt8]]
        var values: [[UInt8]]
        init(keys: [[UInt8]], values: [[UInt8]]) {
            self.keys = keys
            self.values = values
        }
        func clone() -> Chunk { Chunk(keys: keys, values: values) }
    }

    /// Entries per chunk before it splits: large enough that the chunk list (copied by a write
    /// transaction's first change) stays short, small enough that an insert moves little.
    static let maximumChunk = 1024
    private(set) var chunks: [Chunk] = []
    private(set) var count = 0
    private(set) var byteCount = 0

    @inline(__always)
    static func compare(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Int {
        a.withUnsafeBytes { pa in
            let n = min(pa.count, b.count)
            if n > 0, let x = pa.baseAddress, let y = b.baseAddress {
                let c = memcmp(x, y, n)
                if c != 0 { return Int(c) }
            }
            return pa.count - b.count
        }
    }

    @inline(__always)
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int { b.withUnsafeBytes { compare(a, $0) } }

    /// The index of the chunk that holds or would hold `key`.
    func chunkIndex(for key: UnsafeRawBufferPointer) -> Int {
        if chunks.count <= 1 { return 0 }
        // Last chunk whose first key <= key. The chunk list is read through its buffer, so that comparing
        // a chunk's first key does not retain and release the chunk.
        return chunks.withUnsafeBufferPointer { list in
            var lo = 0
            var hi = list.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                let order = list[mid].keys.withUnsafeBufferPointer { ChunkedSortedMap.compare($0[0], key) }
                if order <= 0 { lo = mid } else { hi = mid - 1 }
            }
            return lo
        }
    }

    /// Stores entries given in strictly ascending key order: each run of entries that falls into one chunk
    /// is merged into it in one pass, and the chunk is split when it grows too large.
    mutating func putSorted(count n: Int, _ entry: (Int) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)) {
        var i = 0
        while i < n {
            let first = entry(i)
            if chunks.isEmpty { chunks.append(Chunk(keys: [], values: [])) }
            let c = chunkIndex(for: first.key)
            // Entries below the next chunk's first key belong to chunk c.
            let bound: [UInt8]? = c + 1 < chunks.count ? chunks[c + 1].keys[0] : nil
            let chunk = uniqueChunk(c)
            var keys: [[UInt8]] = []
            var values: [[UInt8]] = []
            keys.reserveCapacity(chunk.keys.count + 64)
            values.reserveCapacity(chunk.keys.count + 64)
            var s = 0
            while i < n {
                let (k, v) = entry(i)
                if let bound, ChunkedSortedMap.compare(bound, k) <= 0 { break }
                while s < chunk.keys.count && ChunkedSortedMap.compare(chunk.keys[s], k) < 0 {
                    keys.append(chunk.keys[s])
                    values.append(chunk.values[s])
                    s += 1
                }
                if s < chunk.keys.count && ChunkedSortedMap.compare(chunk.keys[s], k) == 0 {
                    byteCount -= chunk.values[s].count
                    s += 1
                } else {
                    count += 1
                    byteCount += k.count
                }
                keys.append(Array(k))
                values.append(Array(v))
                byteCount += v.count
                i += 1
            }
            keys.append(contentsOf: chunk.keys[s...])
            values.append(contentsOf: chunk.values[s...])
            if keys.count <= ChunkedSortedMap.maximumChunk {
                chunk.keys = keys
                chunk.values = values
                continue
            }
            // Split into chunks of half the maximum, so that later inserts have room.
            let size = ChunkedSortedMap.maximumChunk / 2
            var pieces: [Chunk] = []
            var start = 0
            while start < keys.count {
                let end = keys.count - start < size + size / 2 ? keys.count : start + size
                pieces.append(Chunk(keys: Array(keys[start..<end]), values: Array(values[start..<end])))
                start = end
            }
            chunks.replaceSubrange(c...c, with: pieces)
        }
    }

    /// Position of the first key >= `key` within chunk `c`.
    static func lowerBound(_ chunk: Chunk, _ key: UnsafeRawBufferPointer) -> Int {
        var lo = 0
        var hi = chunk.keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if compare(chunk.keys[mid], key) < 0 { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// (chunk, slot) of the first key >= `key`, or `nil`.
    func seek(_ key: [UInt8]) -> (Int, Int)? {
        guard !chunks.isEmpty else { return nil }
        return key.withUnsafeBytes { k -> (Int, Int)? in
            var c = chunkIndex(for: k)
            var s = ChunkedSortedMap.lowerBound(chunks[c], k)
            if s == chunks[c].keys.count {
                c += 1
                s = 0
                if c == chunks.count { return nil }
            }
            return (c, s)
        }
    }

    func get(_ key: [UInt8]) -> [UInt8]? {
        guard let (c, s) = seek(key), ChunkedSortedMap.compare(chunks[c].keys[s], key) == 0 else { return nil }
        return chunks[c].values[s]
    }

    private mutating func uniqueChunk(_ c: Int) -> Chunk {
        if !isKnownUniquelyReferenced(&chunks[c]) { chunks[c] = chunks[c].clone() }
        return chunks[c]
    }

    mutating func put(_ key: [UInt8], _ value: [UInt8]) {
        if chunks.isEmpty {
            chunks.append(Chunk(keys: [key], values: [value]))
            count = 1
            byteCount = key.count + value.count
            return
        }
        let c = key.withUnsafeBytes { chunkIndex(for: $0) }
        let chunk = uniqueChunk(c)
        let s = key.withUnsafeBytes { ChunkedSortedMap.lowerBound(chunk, $0) }
        if s < chunk.keys.count, ChunkedSortedMap.compare(chunk.keys[s], key) == 0 {
            byteCount += value.count - chunk.values[s].count
            chunk.values[s] = value
            return
        }
        chunk.keys.insert(key, at: s)
        chunk.values.insert(value, at: s)
        count += 1
        byteCount += key.count + value.count
        if chunk.keys.count > ChunkedSortedMap.maximumChunk {
            let half = chunk.keys.count / 2
            let right = Chunk(keys: Array(chunk.keys[half...]), values: Array(chunk.values[half...]))
            chunk.keys.removeSubrange(half...)
            chunk.values.removeSubrange(half...)
            chunks.insert(right, at: c + 1)
        }
    }

    @discardableResult
    mutating func delete(_ key: [UInt8]) -> Bool {
        guard let (c, s) = seek(key), ChunkedSortedMap.compare(chunks[c].keys[s], key) == 0 else { return false }
        let chunk = uniqueChunk(c)
        byteCount -= chunk.keys[s].count + chunk.values[s].count
        chunk.keys.remove(at: s)
        chunk.values.remove(at: s)
        count -= 1
        if chunk.keys.isEmpty { chunks.remove(at: c) }
        return true
    }
}

/// The in-memory engine: the same ordered key-value contract as LMDB, with snapshot isolation.
///
/// Readers take the committed state (a copy of each table's chunk list); the one writer works on its
/// own copy and publishes it on commit.
final class MemoryStorage: KeyValueStorage {
    private let committed: Mutex<[ChunkedSortedMap]?>
    private let writer = Mutex(())
    private let waiting = Atomic<Int>(0)

    init() {
        committed = Mutex(Array(repeating: ChunkedSortedMap(), count: Table.allCases.count))
    }

    private func snapshot() throws -> [ChunkedSortedMap] {
        guard let state = committed.withLock({ $0 }) else { throw StorageError.closed }
        return state
    }

    func read<R>(_ body: (MemoryReadTransaction) throws -> R) throws -> R {
        try body(MemoryReadTransaction(tables: try snapshot()))
    }

    var writersWaiting: Int { waiting.load(ordering: .relaxed) }
    var commitStatistics: CommitStatistics { commits.statistics }
    private let commits = CommitCounter()

    private let group = GroupTransactionSlot<MemoryWriteTransaction>()

    func write<R>(_ body: (MemoryWriteTransaction) throws -> R) throws -> R {
        if let txn = group.current() {
            // Nested in a group: undo this body's changes alone when it throws (the maps are copy-on-write).
            let saved = txn.tables
            do { return try body(txn) } catch {
                txn.tables = saved
                throw error
            }
        }
        waiting.add(1, ordering: .relaxed)
        return try writer.withLock { _ in
            waiting.subtract(1, ordering: .relaxed)
            let txn = MemoryWriteTransaction(tables: try snapshot())
            let result = try body(txn)
            try publish(txn)
            return result
        }
    }

    func writeGroup(_ run: () -> Void) throws {
        waiting.add(1, ordering: .relaxed)
        try writer.withLock { _ in
            waiting.subtract(1, ordering: .relaxed)
            let txn = MemoryWriteTransaction(tables: try snapshot())
            group.open(txn)
            run()
            _ = group.close()
            try publish(txn)
        }
    }

    /// Commits `txn`: its tables become the state every later transaction starts from.
    private func publish(_ txn: MemoryWriteTransaction) throws {
        try commits.timed {
            try committed.withLock { state in
                guard state != nil else { throw StorageError.closed }
                state = txn.tables
            }
        }
    }

    func reserveMaximumMap() throws {}

    func sizeInBytes() throws -> Int { try snapshot().reduce(0) { $0 + $1.byteCount } }
    func sizeInBytes(of table: Table) throws -> Int { try snapshot()[table.rawValue].byteCount }

    func backup(to path: String) throws {
        let tables = try snapshot()
        try StoreFiles.writeAtomically(to: path) { folder in
            let lmdb = try LMDBStorage(path: folder, configuration: .init())
            defer { lmdb.close() }
            try lmdb.write { txn in
                for table in Table.allCases {
                    for chunk in tables[table.rawValue].chunks {
                        for (k, v) in zip(chunk.keys, chunk.values) { try txn.put(table, k, v) }
                    }
                }
            }
        }
    }

    func close() { committed.withLock { $0 = nil } }
}

/// Where an in-memory cursor reads its table: a fixed snapshot, or the live tables of a write transaction.
protocol MemoryTableSource: AnyObject {
    /// The table as it stands now.
    func table(_ table: Table) -> ChunkedSortedMap
    /// Bumped by every write, so cursors know when to find their place again.
    var version: Int { get }
}

/// The reads both in-memory transactions share.
extension MemoryTableSource {
    func get(_ table: Table, _ key: [UInt8]) throws -> [UInt8]? { self.table(table).get(key) }
    func withValue<R>(_ table: Table, _ key: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        guard let v = self.table(table).get(key) else { return nil }
        return try v.withUnsafeBytes(body)
    }
    func makeCursor(_ table: Table) throws -> MemoryCursor { MemoryCursor(source: self, table: table) }
    func entryCount(_ table: Table) throws -> Int { self.table(table).count }
}

/// A read transaction over a snapshot of the in-memory tables.
final class MemoryReadTransaction: StorageReadTransaction, MemoryTableSource {
    let tables: [ChunkedSortedMap]
    let version = 0
    init(tables: [ChunkedSortedMap]) { self.tables = tables }
    func table(_ table: Table) -> ChunkedSortedMap { tables[table.rawValue] }
}

/// The write transaction of the in-memory engine: a private copy of the tables, published on commit.
final class MemoryWriteTransaction: StorageWriteTransaction, MemoryTableSource {
    fileprivate(set) var tables: [ChunkedSortedMap] {
        didSet { version &+= 1 }
    }
    private(set) var version = 0
    init(tables: [ChunkedSortedMap]) { self.tables = tables }
    func table(_ table: Table) -> ChunkedSortedMap { tables[table.rawValue] }
    func put(_ table: Table, _ key: [UInt8], _ value: [UInt8]) throws {
        guard !key.isEmpty, key.count <= LMDBStorage.maximumKeySize else { throw StorageError.keyTooLong(key.count) }
        tables[table.rawValue].put(key, value)
    }
    func putSorted(
        _ table: Table, count: Int, _ entry: (Int) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)
    ) throws {
        for i in 0..<count {
            let k = entry(i).key
            guard !k.isEmpty, k.count <= LMDBStorage.maximumKeySize else { throw StorageError.keyTooLong(k.count) }
        }
        tables[table.rawValue].putSorted(count: count, entry)
    }

    func delete(_ table: Table, _ key: [UInt8]) throws -> Bool {
        return tables[table.rawValue].delete(key)
    }
}

/// A cursor over an in-memory table. In a write transaction it finds its key again after a write, as an
/// LMDB cursor stays valid across writes; when its key was deleted it stands in the gap before the successor.
struct MemoryCursor: StorageCursor {
    private unowned let source: any MemoryTableSource
    private let table: Table
    private var current: ChunkedSortedMap
    private var version: Int
    private var position: (chunk: Int, slot: Int)?
    private var currentKey: [UInt8]?
    /// The current key was deleted: `position` is its successor (or `nil` at the end).
    private var inGap = false

    init(source: any MemoryTableSource, table: Table) {
        self.source = source
        self.table = table
        self.current = source.table(table)
        self.version = source.version
    }

    private mutating func reload() {
        current = source.table(table)
        version = source.version
    }

    private mutating func refresh() {
        guard source.version != version else { return }
        reload()
        guard let k = currentKey else { return }
        position = current.seek(k)
        if let p = position, ChunkedSortedMap.compare(current.chunks[p.chunk].keys[p.slot], k) == 0 {
            inGap = false
        } else {
            inGap = true
        }
    }

    private mutating func land(_ p: (Int, Int)?) -> Bool {
        position = p
        inGap = false
        currentKey = p.map { current.chunks[$0.0].keys[$0.1] }
        return p != nil
    }

    mutating func seek(atOrAfter key: [UInt8]) throws -> Bool {
        reload()
        return land(current.seek(key))
    }
    mutating func first() throws -> Bool {
        reload()
        return land(current.chunks.isEmpty ? nil : (0, 0))
    }
    mutating func last() throws -> Bool {
        reload()
        guard let c = current.chunks.last else { return land(nil) }
        return land((current.chunks.count - 1, c.keys.count - 1))
    }
    mutating func next() throws -> Bool {
        refresh()
        if inGap { return land(position) }
        guard let (c, s) = position else { return false }
        if s + 1 < current.chunks[c].keys.count { return land((c, s + 1)) }
        if c + 1 < current.chunks.count { return land((c + 1, 0)) }
        return land(nil)
    }
    mutating func previous() throws -> Bool {
        refresh()
        if inGap && position == nil { return try last() }
        guard let (c, s) = position else { return false }
        if s > 0 { return land((c, s - 1)) }
        if c > 0 { return land((c - 1, current.chunks[c - 1].keys.count - 1)) }
        return land(nil)
    }
    mutating func withValue<R>(at key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        // One search of the current map (reloaded only after a write), landing on the key as `seek` does.
        if source.version != version { reload() }
        let k = Array(key)
        guard let p = current.seek(k), ChunkedSortedMap.compare(current.chunks[p.0].keys[p.1], k) == 0 else {
            _ = land(nil)
            return nil
        }
        _ = land(p)
        return try current.chunks[p.0].values[p.1].withUnsafeBytes(body)
    }
    func withCurrent<R>(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let (c, s) = position, !inGap, source.version == version else {
            throw StorageError.io(code: -1, message: "cursor is not positioned on an entry")
        }
        let chunk = current.chunks[c]
        return try chunk.keys[s].withUnsafeBytes { k in try chunk.values[s].withUnsafeBytes { v in try body(k, v) } }
    }
}
