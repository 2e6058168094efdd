/// The named key spaces of a store. Each is an LMDB named database or an in-memory sorted map.
enum Table: Int, CaseIterable, Sendable {
    /// Primary records: 16-byte event id → encoded record.
    case events
    /// Secondary index entries: composite keys, empty or tiny values (see `IndexKey`).
    case indexes
    /// Search grams: posting containers of the `q` index.
    case search
    /// Store metadata: format version, the cursor secret, counters.
    case meta

    /// The LMDB database name.
    var name: String {
        switch self {
        case .events: return "events"
        case .indexes: return "indexes"
        case .search: return "search"
        case .meta: return "meta"
        }
    }
}

/// Errors of the storage layer; the facade maps them to ``SyncEventStoreError``.
enum StorageError: Error, Equatable {
    /// The LMDB map is full; the write is retried after the map grows.
    case mapFull
    /// The map reached the configured maximum size.
    case storageFull(limit: Int)
    /// LMDB reported damage.
    case corrupted(String)
    /// Any other failure, with LMDB's or the system's code and message.
    case io(code: Int32, message: String)
    /// The path is already open in this process.
    case alreadyOpen(String)
    /// The store was closed.
    case closed
    /// The key is longer than the engine allows.
    case keyTooLong(Int)
}

/// A read-only view of one consistent state of the store.
protocol StorageReadTransaction {
    associatedtype Cursor: StorageCursor
    /// The value stored under `key`, copied out, or `nil`.
    func get(_ table: Table, _ key: [UInt8]) throws -> [UInt8]?
    /// Calls `body` with the bytes stored under `key` (valid only inside `body`); `nil` when absent.
    func withValue<R>(_ table: Table, _ key: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R?
    /// A cursor over `table`, valid until the transaction ends.
    func makeCursor(_ table: Table) throws -> Cursor
    /// The number of entries in `table`.
    func entryCount(_ table: Table) throws -> Int
}

/// A read-write transaction: sees its own writes; commits on return, aborts on throw.
protocol StorageWriteTransaction: StorageReadTransaction {
    /// Stores `value` under `key`, replacing any value.
    func put(_ table: Table, _ key: [UInt8], _ value: [UInt8]) throws
    /// Removes `key`; `false` when it was absent.
    @discardableResult func delete(_ table: Table, _ key: [UInt8]) throws -> Bool
    /// Stores `count` entries whose keys come in strictly ascending order, entry `i` given by `entry(i)`
    /// (its bytes need to stay valid only until the next call): the bulk path, faster than `put` one by one.
    func putSorted(
        _ table: Table, count: Int, _ entry: (Int) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)
    ) throws
}

extension StorageWriteTransaction {
    func putSorted(
        _ table: Table, count: Int, _ entry: (Int) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)
    ) throws {
        for i in 0..<count {
            let (k, v) = entry(i)
            try put(table, Array(k), Array(v))
        }
    }
}

/// A position in one table, ordered by key bytes.
protocol StorageCursor {
    /// Moves to the first key `>= key`; `false` when there is none.
    mutating func seek(atOrAfter key: [UInt8]) throws -> Bool
    /// Moves to the first key; `false` when the table is empty.
    mutating func first() throws -> Bool
    /// Moves to the last key; `false` when the table is empty.
    mutating func last() throws -> Bool
    /// Moves to the next key; `false` at the end.
    mutating func next() throws -> Bool
    /// Moves to the previous key; `false` at the start.
    mutating func previous() throws -> Bool
    /// Calls `body` with the current key and value (valid only inside `body`).
    func withCurrent<R>(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> R) throws -> R
    /// Moves to `key` exactly and calls `body` with its value (valid only inside `body`); `nil`, and the
    /// cursor unpositioned, when `key` is absent. On LMDB a look-up that lands on the leaf the cursor is
    /// already on skips the descent from the root, so reading keys that lie close together (records in
    /// list order) through one cursor is cheaper than a `withValue` per key.
    mutating func withValue<R>(at key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R?
}

extension StorageCursor {
    /// The current key, copied.
    var key: [UInt8] { get throws { try withCurrent { k, _ in Array(k) } } }
    /// The current value, copied.
    var value: [UInt8] { get throws { try withCurrent { _, v in Array(v) } } }

    /// Moves to the last key `<= key`; `false` when there is none.
    mutating func seek(atOrBefore key: [UInt8]) throws -> Bool {
        if try seek(atOrAfter: key) {
            if try withCurrent({ k, _ in k.elementsEqual(key) }) { return true }
            return try previous()
        }
        return try last()
    }
}

/// An ordered key-value engine with snapshot-isolated transactions: the storage protocol that
/// everything above `Storage/` is generic over.
protocol KeyValueStorage: AnyObject, Sendable {
    associatedtype ReadTxn: StorageReadTransaction
    associatedtype WriteTxn: StorageWriteTransaction
    /// Runs `body` in a read transaction over one consistent state.
    func read<R>(_ body: (ReadTxn) throws -> R) throws -> R
    /// Runs `body` in the write transaction; commits when it returns, aborts when it throws. The body
    /// may run more than once (after the map grows), so it must not have effects outside the transaction.
    func write<R>(_ body: (WriteTxn) throws -> R) throws -> R
    /// How many threads are waiting for the write transaction now (long operations that work in chunks
    /// let them in between chunks).
    var writersWaiting: Int { get }
    /// Commits of write transactions so far, and the time they took.
    var commitStatistics: CommitStatistics { get }
    /// Runs `run` with one write transaction open that commits once when `run` returns (a group commit).
    /// While `run` runs, every `write` on the calling thread is nested in it: each commits into the group
    /// or, when its body throws, leaves the group's transaction as it was. `run` may run more than once
    /// (after a full map, once stale readers are cleared); only the last run's effects are committed.
    func writeGroup(_ run: () -> Void) throws
    /// Makes room for a transaction that cannot be run again (a streamed import). Nothing to do now: LMDB
    /// reserves its whole map at open (``LMDBOptions/maximumMapSize``), and memory has no map.
    func reserveMaximumMap() throws
    /// Bytes the store occupies (file size, or the in-memory total of keys and values).
    func sizeInBytes() throws -> Int
    /// Bytes used by one table.
    func sizeInBytes(of table: Table) throws -> Int
    /// Writes a compacted, consistent copy into the directory `path`.
    func backup(to path: String) throws
    /// Releases the store; later calls fail with `closed`.
    func close()
}
