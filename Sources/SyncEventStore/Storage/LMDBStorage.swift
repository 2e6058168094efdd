import CLMDB
import Foundation
import Synchronization

/// One funnel for LMDB return codes: success passes, everything else becomes a ``StorageError``.
@inline(__always)
func check(_ rc: Int32, _ what: @autoclosure () -> String) throws {
    guard rc != MDB_SUCCESS else { return }
    throw storageError(rc, what())
}

func storageError(_ rc: Int32, _ what: String) -> StorageError {
    let message = "\(what): " + String(cString: mdb_strerror(rc))
    switch rc {
    case MDB_MAP_FULL: return .mapFull
    case MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_PANIC, MDB_INVALID, MDB_VERSION_MISMATCH, MDB_INCOMPATIBLE:
        return .corrupted(message)
    case MDB_BAD_VALSIZE: return .keyTooLong(-1)
    default: return .io(code: rc, message: message)
    }
}

/// How an LMDB store is opened.
struct LMDBOptions: Sendable {
    var initialMapSize = 1 << 20
    var maximumMapSize = 1 << 40
    var maxReaders: UInt32 = 512
    var durable = true
}

/// The LMDB engine: one environment directory, one named database per ``Table``.
///
/// Readers and writers take `resizeLock` shared; growing the map takes it exclusively, because
/// `mdb_env_set_mapsize` needs every transaction of the process to be finished.
final class LMDBStorage: KeyValueStorage, @unchecked Sendable {  // the env is thread-safe under MDB_NOTLS; mutable state is behind locks
    /// LMDB's compiled-in key limit.
    static let maximumKeySize = 511

    private static let openPaths = Mutex<Set<String>>([])

    let path: String
    private var env: OpaquePointer?
    private var dbis: [MDB_dbi] = []
    private let resizeLock = ReadWriteLock()
    private let writer = Mutex(())
    private let options: LMDBOptions
    private var mapSize: Int

    init(path: String, configuration options: LMDBOptions) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        self.path = url.path
        self.options = options
        self.mapSize = options.initialMapSize
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw StorageError.io(code: -1, message: "cannot create the store directory \(url.path): \(error)")
        }
        let canonical = url.resolvingSymlinksInPath().path
        let inserted = LMDBStorage.openPaths.withLock { $0.insert(canonical).inserted }
        guard inserted else { throw StorageError.alreadyOpen(canonical) }
        var ok = false
        defer { if !ok { _ = LMDBStorage.openPaths.withLock { $0.remove(canonical) } } }

        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        self.env = env
        do {
            try check(mdb_env_set_maxreaders(env, options.maxReaders), "mdb_env_set_maxreaders")
            try check(mdb_env_set_maxdbs(env, MDB_dbi(Table.allCases.count + 2)), "mdb_env_set_maxdbs")
            try check(mdb_env_set_mapsize(env, options.initialMapSize), "mdb_env_set_mapsize")
            var flags = UInt32(MDB_NOTLS | MDB_NORDAHEAD)
            if !options.durable { flags |= UInt32(MDB_NOSYNC) }
            try check(mdb_env_open(env, self.path, flags, 0o644), "mdb_env_open \(self.path)")
            var dead: Int32 = 0
            try check(mdb_reader_check(env, &dead), "mdb_reader_check")
            // The map may be larger than asked (another process grew it): adopt its size.
            var info = MDB_envinfo()
            try check(mdb_env_info(env, &info), "mdb_env_info")
            mapSize = max(options.initialMapSize, info.me_mapsize)
            var txn: OpaquePointer?
            try check(mdb_txn_begin(env, nil, 0, &txn), "mdb_txn_begin")
            do {
                for table in Table.allCases {
                    var dbi: MDB_dbi = 0
                    try check(mdb_dbi_open(txn, table.name, UInt32(MDB_CREATE), &dbi), "mdb_dbi_open \(table.name)")
                    dbis.append(dbi)
                }
                try check(mdb_txn_commit(txn), "mdb_txn_commit")
            } catch {
                mdb_txn_abort(txn)
                throw error
            }
        } catch {
            mdb_env_close(env)
            self.env = nil
            throw error
        }
        self.openCanonicalPath = canonical
        ok = true
    }
    private var openCanonicalPath = ""

    deinit { close() }

    private func environment() throws -> OpaquePointer {
        guard let env else { throw StorageError.closed }
        return env
    }

    /// Begins a transaction, adopting a map grown by another process when LMDB asks for it.
    private func begin(_ flags: UInt32) throws -> OpaquePointer {
        while true {
            let env = try environment()
            var txn: OpaquePointer?
            let rc = mdb_txn_begin(env, nil, flags, &txn)
            if rc == MDB_MAP_RESIZED {
                resizeLock.unlock()
                resizeLock.lockExclusive()
                _ = mdb_env_set_mapsize(env, 0)
                resizeLock.unlock()
                resizeLock.lockShared()
                continue
            }
            try check(rc, "mdb_txn_begin")
            return txn!
        }
    }

    func read<R>(_ body: (LMDBTransaction) throws -> R) throws -> R {
        resizeLock.lockShared()
        defer { resizeLock.unlock() }
        let txn = try begin(UInt32(MDB_RDONLY))
        let t = LMDBTransaction(txn: txn, dbis: dbis, readOnly: true)
        defer {
            t.finish()
            mdb_txn_abort(txn)
        }
        return try body(t)
    }

    func write<R>(_ body: (LMDBTransaction) throws -> R) throws -> R {
        if let parent = group.current() { return try nestedWrite(in: parent, body) }
        return try writer.withLock { _ in
            while true {
                resizeLock.lockShared()
                let txn: OpaquePointer
                do { txn = try begin(0) } catch {
                    resizeLock.unlock()
                    throw error
                }
                let t = LMDBTransaction(txn: txn, dbis: dbis, readOnly: false)
                do {
                    let result = try body(t)
                    t.finish()
                    try check(mdb_txn_commit(txn), "mdb_txn_commit")
                    resizeLock.unlock()
                    return result
                } catch StorageError.mapFull {
                    // mdb_txn_commit frees the transaction even when it fails; abort only if it is still live.
                    if !t.finished { t.finish(); mdb_txn_abort(txn) }
                    resizeLock.unlock()
                    try grow()
                } catch {
                    if !t.finished { t.finish(); mdb_txn_abort(txn) }
                    resizeLock.unlock()
                    throw error
                }
            }
        }
    }

    /// The open group transaction of the thread running ``writeGroup(_:)``.
    private let group = GroupTransactionSlot<LMDBTransaction>()

    /// A write inside a group: a child transaction of `parent`, merged into it on success, dropped on throw.
    private func nestedWrite<R>(in parent: LMDBTransaction, _ body: (LMDBTransaction) throws -> R) throws -> R {
        var child: OpaquePointer?
        try check(mdb_txn_begin(try environment(), parent.txn, 0, &child), "mdb_txn_begin (nested)")
        let t = LMDBTransaction(txn: child!, dbis: dbis, readOnly: false)
        group.enter(t)
        defer { group.leave(parent) }
        do {
            let result = try body(t)
            t.finish()
            try check(mdb_txn_commit(child), "mdb_txn_commit (nested)")
            return result
        } catch {
            if !t.finished { t.finish(); mdb_txn_abort(child) }
            if case StorageError.mapFull = error { group.needsGrowth = true }
            throw error
        }
    }

    func writeGroup(_ run: () -> Void) throws {
        try writer.withLock { _ in
            while true {
                resizeLock.lockShared()
                let txn: OpaquePointer
                do { txn = try begin(0) } catch {
                    resizeLock.unlock()
                    throw error
                }
                let t = LMDBTransaction(txn: txn, dbis: dbis, readOnly: false)
                group.open(t)
                run()
                let grow = group.close()
                t.finish()
                if grow {
                    mdb_txn_abort(txn)
                    resizeLock.unlock()
                    try self.grow()
                    continue
                }
                let rc = mdb_txn_commit(txn)
                resizeLock.unlock()
                if rc == MDB_MAP_FULL {
                    try self.grow()
                    continue
                }
                try check(rc, "mdb_txn_commit")
                return
            }
        }
    }

    func reserveMaximumMap() throws {
        try writer.withLock { _ in
            resizeLock.lockExclusive()
            defer { resizeLock.unlock() }
            guard mapSize < options.maximumMapSize else { return }
            try check(mdb_env_set_mapsize(try environment(), options.maximumMapSize), "mdb_env_set_mapsize")
            mapSize = options.maximumMapSize
        }
    }

    private func grow() throws {
        resizeLock.lockExclusive()
        defer { resizeLock.unlock() }
        let env = try environment()
        var info = MDB_envinfo()
        try check(mdb_env_info(env, &info), "mdb_env_info")
        let current = max(mapSize, info.me_mapsize)
        guard current < options.maximumMapSize else { throw StorageError.storageFull(limit: options.maximumMapSize) }
        let next = min(options.maximumMapSize, current < 1 << 30 ? current * 2 : current + (1 << 30))
        try check(mdb_env_set_mapsize(env, next), "mdb_env_set_mapsize")
        mapSize = next
    }

    func sizeInBytes() throws -> Int {
        try read { _ in
            var info = MDB_envinfo()
            var stat = MDB_stat()
            try check(mdb_env_info(try environment(), &info), "mdb_env_info")
            try check(mdb_env_stat(try environment(), &stat), "mdb_env_stat")
            return (info.me_last_pgno + 1) * Int(stat.ms_psize)
        }
    }

    func sizeInBytes(of table: Table) throws -> Int {
        try read { t in
            let s = try t.stat(table)
            return (s.ms_branch_pages + s.ms_leaf_pages + s.ms_overflow_pages) * Int(s.ms_psize)
        }
    }

    func backup(to path: String) throws {
        let env = try environment()
        let url = URL(fileURLWithPath: path).standardizedFileURL
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        if existing.contains("data.mdb") {
            throw StorageError.io(code: -1, message: "\(url.path) already holds a store; back up into an empty directory")
        }
        resizeLock.lockShared()
        defer { resizeLock.unlock() }
        try check(mdb_env_copy2(env, url.path, UInt32(MDB_CP_COMPACT)), "mdb_env_copy2 \(url.path)")
    }

    func close() {
        resizeLock.lockExclusive()
        defer { resizeLock.unlock() }
        guard let env else { return }
        mdb_env_close(env)
        self.env = nil
        let canonical = openCanonicalPath
        _ = LMDBStorage.openPaths.withLock { $0.remove(canonical) }
    }
}

/// A read or write transaction of ``LMDBStorage``. Cursors opened in it are closed when it ends.
final class LMDBTransaction: StorageWriteTransaction {
    let txn: OpaquePointer
    let dbis: [MDB_dbi]
    let readOnly: Bool
    private(set) var finished = false
    private var cursors: [LMDBCursorBox] = []

    init(txn: OpaquePointer, dbis: [MDB_dbi], readOnly: Bool) {
        self.txn = txn
        self.dbis = dbis
        self.readOnly = readOnly
    }

    /// Closes the cursors; after this the transaction may be committed or aborted.
    func finish() {
        for c in cursors { c.close() }
        cursors.removeAll()
        finished = true
    }

    func stat(_ table: Table) throws -> MDB_stat {
        var s = MDB_stat()
        try check(mdb_stat(txn, dbis[table.rawValue], &s), "mdb_stat \(table.name)")
        return s
    }

    func get(_ table: Table, _ key: [UInt8]) throws -> [UInt8]? {
        try withValue(table, key) { Array($0) }
    }

    func withValue<R>(_ table: Table, _ key: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        try key.withUnsafeBytes { k in
            var kv = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            var v = MDB_val()
            let rc = mdb_get(txn, dbis[table.rawValue], &kv, &v)
            if rc == MDB_NOTFOUND { return nil }
            try check(rc, "mdb_get \(table.name)")
            return try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
        }
    }

    func makeCursor(_ table: Table) throws -> LMDBCursor {
        var c: OpaquePointer?
        try check(mdb_cursor_open(txn, dbis[table.rawValue], &c), "mdb_cursor_open \(table.name)")
        let box = LMDBCursorBox(cursor: c!)
        cursors.append(box)
        return LMDBCursor(box: box)
    }

    func entryCount(_ table: Table) throws -> Int { try stat(table).ms_entries }

    func put(_ table: Table, _ key: [UInt8], _ value: [UInt8]) throws {
        guard !key.isEmpty, key.count <= LMDBStorage.maximumKeySize else { throw StorageError.keyTooLong(key.count) }
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in
                var kv = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                var vv = MDB_val(mv_size: v.count, mv_data: UnsafeMutableRawPointer(mutating: v.baseAddress))
                try check(mdb_put(txn, dbis[table.rawValue], &kv, &vv, 0), "mdb_put \(table.name)")
            }
        }
    }

    func putSorted(
        _ table: Table, count: Int, _ entry: (Int) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)
    ) throws {
        guard count > 0 else { return }
        var c: OpaquePointer?
        try check(mdb_cursor_open(txn, dbis[table.rawValue], &c), "mdb_cursor_open \(table.name)")
        defer { mdb_cursor_close(c) }
        // When every key sorts after the table's last key, append: no search, and full pages.
        var last = MDB_val()
        var lastValue = MDB_val()
        let rc = mdb_cursor_get(c, &last, &lastValue, MDB_LAST)
        var flags: UInt32 = 0
        if rc == MDB_NOTFOUND {
            flags = UInt32(MDB_APPEND)
        } else {
            try check(rc, "mdb_cursor_get \(table.name)")
            let first = entry(0).key
            let n = min(first.count, last.mv_size)
            let order = n == 0 ? 0 : memcmp(first.baseAddress!, last.mv_data, n)
            if order > 0 || (order == 0 && first.count > last.mv_size) { flags = UInt32(MDB_APPEND) }
        }
        for i in 0..<count {
            let (k, v) = entry(i)
            guard !k.isEmpty, k.count <= LMDBStorage.maximumKeySize else { throw StorageError.keyTooLong(k.count) }
            var kv = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            var vv = MDB_val(mv_size: v.count, mv_data: UnsafeMutableRawPointer(mutating: v.baseAddress))
            try check(mdb_cursor_put(c, &kv, &vv, flags), "mdb_cursor_put \(table.name)")
        }
    }

    func delete(_ table: Table, _ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { k in
            var kv = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            let rc = mdb_del(txn, dbis[table.rawValue], &kv, nil)
            if rc == MDB_NOTFOUND { return false }
            try check(rc, "mdb_del \(table.name)")
            return true
        }
    }
}

/// Owns an `MDB_cursor` until its transaction ends.
final class LMDBCursorBox {
    var cursor: OpaquePointer?
    init(cursor: OpaquePointer) { self.cursor = cursor }
    func close() {
        if let cursor { mdb_cursor_close(cursor) }
        cursor = nil
    }
}

/// A cursor over one LMDB database.
struct LMDBCursor: StorageCursor {
    let box: LMDBCursorBox
    private var k = MDB_val()
    private var v = MDB_val()
    private var positioned = false

    init(box: LMDBCursorBox) { self.box = box }

    private mutating func move(_ op: MDB_cursor_op) throws -> Bool {
        guard let c = box.cursor else { throw StorageError.io(code: -1, message: "cursor used after its transaction") }
        let rc = mdb_cursor_get(c, &k, &v, op)
        if rc == MDB_NOTFOUND {
            positioned = false
            return false
        }
        try check(rc, "mdb_cursor_get")
        positioned = true
        return true
    }

    mutating func seek(atOrAfter key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { kb in
            k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            return try move(MDB_SET_RANGE)
        }
    }
    mutating func first() throws -> Bool { try move(MDB_FIRST) }
    mutating func last() throws -> Bool { try move(MDB_LAST) }
    mutating func next() throws -> Bool { try move(MDB_NEXT) }
    mutating func previous() throws -> Bool { try move(MDB_PREV) }

    func withCurrent<R>(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard positioned, box.cursor != nil else { throw StorageError.io(code: -1, message: "cursor is not positioned") }
        return try body(UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                        UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }
}

/// A pthread read-write lock.
final class ReadWriteLock: @unchecked Sendable {  // pthread_rwlock_t is thread-safe by design
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
    init() { pthread_rwlock_init(lock, nil) }
    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }
    func lockShared() { pthread_rwlock_rdlock(lock) }
    func lockExclusive() { pthread_rwlock_wrlock(lock) }
    func unlock() { pthread_rwlock_unlock(lock) }
}
