import CLMDB
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One funnel for LMDB return codes: success passes, everything else becomes a ``StorageError``.
@inline(__always)
func check(_ rc: Int32, _ what: @autoclosure () -> String) throws {
    guard rc != MDB_SUCCESS else { return }
    throw storageError(rc, what())
}

func storageError(_ rc: Int32, _ what: String) -> StorageError {
    switch rc {
    case MDB_MAP_FULL: return .mapFull
    case MDB_PANIC:
        return .io(code: rc, message: "\(what): LMDB stopped this environment after a failed write or flush of its meta page (MDB_PANIC); the store is reopened on the next call, earlier commits are intact")
    case MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID, MDB_VERSION_MISMATCH, MDB_INCOMPATIBLE:
        return .corrupted("\(what): " + String(cString: mdb_strerror(rc)))
    case MDB_BAD_VALSIZE: return .keyTooLong(-1)
    case ENOSPC, EDQUOT, EACCES, EPERM, EROFS, ENOTDIR: return StoreFiles.describe(rc, what, path: "the store")
    default: return .io(code: rc, message: "\(what): " + String(cString: mdb_strerror(rc)))
    }
}

/// How an LMDB store is opened.
struct LMDBOptions: Sendable {
    /// The map reserved up front (virtual address space only: the file grows with its data).
    var maximumMapSize = 1 << 40
    var maxReaders: UInt32 = 512
    var durable = true
}

/// The LMDB engine: one environment directory, one named database per ``Table``.
///
/// The whole map (``LMDBOptions/maximumMapSize``) is reserved when the store opens, so this process
/// never resizes it while it runs: no write waits for readers, and a write inside a read closure cannot
/// deadlock. Transactions take `gate` shared; only the rare events that remap or replace the
/// environment take it exclusively, by polling with a deadline (never waiting on the caller's own
/// transactions forever): adopting a map another process grew past ours (`MDB_MAP_RESIZED`), and
/// reopening after `MDB_PANIC`. Stale reader slots of dead processes are cleared at open, every 1,000
/// writes or 10 seconds, and before a full map or full reader table is reported.
final class LMDBStorage: KeyValueStorage, @unchecked Sendable {  // the env is thread-safe under MDB_NOTLS; mutable state is behind locks
    /// LMDB's compiled-in key limit.
    static let maximumKeySize = 511

    private static let openPaths = Mutex<Set<String>>([])

    let path: String
    private var env: OpaquePointer?
    private var dbis: [MDB_dbi] = []
    private let gate = ReadWriteLock()
    /// The threads that hold a transaction of this store now, with how many each (read closures nest).
    private let holders = Mutex<[UInt: Int]>([:])
    /// Set by ``close()``: new transactions are refused, and the last open one closes the environment.
    private let closing = Atomic<Bool>(false)
    private let writer = Mutex(WriterState())
    private let waiting = Atomic<Int>(0)
    private let commits = CommitCounter()
    private let options: LMDBOptions
    private var openCanonicalPath = ""
    /// Why the environment was last reopened (for tests and diagnostics).
    private(set) var reopenReason: String?
    /// Test hook: the next `begin` behaves as if LMDB returned this code.
    let injectedBeginFailure = Mutex<Int32?>(nil)
    /// A descriptor of `lock.mdb` for ``otherProcessHoldingTheStore()`` (-1 until first needed). It stays
    /// open until the environment closes: closing any descriptor of a file drops every POSIX lock this
    /// process holds on it, LMDB's own included.
    private let lockProbe = Mutex<Int32>(-1)

    private struct WriterState {
        var writesSinceReaderCheck = 0
        var lastReaderCheck = ContinuousClock.now
    }

    init(path: String, configuration options: LMDBOptions) throws {
        guard !path.isEmpty else { throw StorageError.io(code: EINVAL, message: "the store path is empty; pass a folder path") }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        self.path = url.path
        self.options = options
        try StoreFiles.prepareFolder(url.path)
        let canonical = url.resolvingSymlinksInPath().path
        let inserted = LMDBStorage.openPaths.withLock { $0.insert(canonical).inserted }
        guard inserted else { throw StorageError.alreadyOpen(canonical) }
        var ok = false
        defer { if !ok { _ = LMDBStorage.openPaths.withLock { $0.remove(canonical) } } }
        try StoreFiles.checkDataFile(self.path + "/data.mdb")
        try StoreFiles.preallocateLockFile(self.path + "/lock.mdb", maxReaders: options.maxReaders)
        try openEnvironment()
        self.openCanonicalPath = canonical
        ok = true
    }

    /// Creates and opens the environment with the whole map reserved, and opens the tables.
    private func openEnvironment() throws {
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        do {
            try check(mdb_env_set_maxreaders(env, options.maxReaders), "mdb_env_set_maxreaders")
            try check(mdb_env_set_maxdbs(env, MDB_dbi(Table.allCases.count + 2)), "mdb_env_set_maxdbs")
            try check(mdb_env_set_mapsize(env, options.maximumMapSize), "mdb_env_set_mapsize")
            var flags = UInt32(MDB_NOTLS | MDB_NORDAHEAD)
            if !options.durable { flags |= UInt32(MDB_NOSYNC) }
            let rc = mdb_env_open(env, path, flags, StoreFiles.fileMode)
            if rc != MDB_SUCCESS, rc > 0 { throw StoreFiles.describe(rc, "cannot open the store \(path)", path: path) }
            try check(rc, "mdb_env_open \(path)")
            var dead: Int32 = 0
            try check(mdb_reader_check(env, &dead), "mdb_reader_check")
            try LMDBStorage.checkPagesBeforeOpening(env!)
            var txn: OpaquePointer?
            try check(mdb_txn_begin(env, nil, 0, &txn), "mdb_txn_begin")
            do {
                var dbis: [MDB_dbi] = []
                for table in Table.allCases {
                    var dbi: MDB_dbi = 0
                    try check(mdb_dbi_open(txn, table.name, UInt32(MDB_CREATE), &dbi), "mdb_dbi_open \(table.name)")
                    // The default order, compared a word at a time: a page's record look-ups descend a
                    // 1M-record tree about 20 comparisons deep each, and `memcmp` through the default's
                    // wrapper was ~15 % of a page of scattered records.
                    try check(mdb_set_compare(txn, dbi, clmdb_byte_order()), "mdb_set_compare \(table.name)")
                    dbis.append(dbi)
                }
                let rc = mdb_txn_commit(txn)
                txn = nil
                try describeCommitFailure(rc, "creating the tables")
                self.dbis = dbis
            } catch {
                if let txn { mdb_txn_abort(txn) }
                throw error
            }
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.env = env
    }

    deinit { close() }

    /// The pid of another process that has this store open, or `nil` when this process is alone. LMDB keeps
    /// a shared lock on the first byte of `lock.mdb` for as long as a process has the environment open
    /// (whatever release of this library or other LMDB program it runs), so a test for an exclusive lock
    /// there finds every other process; this process's own lock never conflicts with itself.
    func otherProcessHoldingTheStore() -> Int32? {
        let fd = lockProbe.withLock { fd -> Int32 in
            if fd < 0 { fd = open(path + "/lock.mdb", O_RDWR | O_CLOEXEC) }
            return fd
        }
        guard fd >= 0 else { return nil }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 1
        guard fcntl(fd, F_GETLK, &lock) == 0, lock.l_type != Int16(F_UNLCK) else { return nil }
        return lock.l_pid
    }

    private func environment() throws -> OpaquePointer {
        guard let env else { throw StorageError.closed }
        return env
    }

    /// Takes `gate` exclusively for an event that remaps or replaces the environment. The caller holds
    /// it shared; this releases that, waits for the process's other transactions to end (up to 30 s),
    /// runs `body`, and takes it shared again.
    private func exclusively(_ why: String, _ body: (OpaquePointer) throws -> Void) throws {
        gate.unlock()
        defer { gate.lockShared() }
        let deadline = ContinuousClock.now + .seconds(30)
        while !gate.tryLockExclusive() {
            guard ContinuousClock.now < deadline else {
                throw StorageError.io(code: EBUSY, message: "\(why): a transaction of this process stayed open for 30 s (a store call inside a read closure?); retry after it ends")
            }
            usleep(1000)
        }
        defer { gate.unlock() }
        try body(try environment())
    }

    /// Begins a transaction (the caller holds `gate` shared). Adopts a map another process grew past
    /// ours, reopens after `MDB_PANIC`, and clears stale readers when the reader table is full.
    private func begin(_ flags: UInt32) throws -> OpaquePointer {
        if closing.load(ordering: .acquiring) { throw StorageError.closed }
        var attempts = 0
        while true {
            attempts += 1
            let env = try environment()
            var txn: OpaquePointer?
            var rc = injectedBeginFailure.withLock { f in defer { f = nil }; return f } ?? MDB_SUCCESS
            if rc == MDB_SUCCESS { rc = mdb_txn_begin(env, nil, flags, &txn) }
            if rc == MDB_SUCCESS { return txn! }
            guard attempts < 8 else { try check(rc, "mdb_txn_begin"); continue }
            switch rc {
            case MDB_MAP_RESIZED:
                try exclusively("adopting the map another process grew") { env in
                    try check(mdb_env_set_mapsize(env, 0), "mdb_env_set_mapsize")
                }
            case MDB_READERS_FULL:
                var dead: Int32 = 0
                try check(mdb_reader_check(env, &dead), "mdb_reader_check")
                if dead == 0 { try check(rc, "mdb_txn_begin (\(options.maxReaders) reader slots in use)") }
            case MDB_PANIC:
                try exclusively("reopening the store after MDB_PANIC") { env in
                    mdb_env_close(env)
                    self.env = nil
                    try openEnvironment()
                    reopenReason = "LMDB reported MDB_PANIC (a failed write or flush of a meta page); the environment was closed and reopened"
                }
            default:
                try check(rc, "mdb_txn_begin")
            }
        }
    }

    func read<R>(_ body: (LMDBTransaction) throws -> R) throws -> R {
        enterGate()
        defer { leaveGate() }
        let txn = try begin(UInt32(MDB_RDONLY))
        let t = LMDBTransaction(txn: txn, dbis: dbis, readOnly: true)
        defer {
            t.finish()
            mdb_txn_abort(txn)
        }
        return try body(t)
    }

    /// Runs `body` with a raw read transaction and the environment (for checks below the table layer).
    func readRaw<R>(_ body: (OpaquePointer, OpaquePointer) throws -> R) throws -> R {
        enterGate()
        defer { leaveGate() }
        let txn = try begin(UInt32(MDB_RDONLY))
        defer { mdb_txn_abort(txn) }
        return try body(txn, try environment())
    }

    var writersWaiting: Int { waiting.load(ordering: .relaxed) }
    var commitStatistics: CommitStatistics { commits.statistics }

    func write<R>(_ body: (LMDBTransaction) throws -> R) throws -> R {
        if let parent = group.current() { return try nestedWrite(in: parent, body) }
        waiting.add(1, ordering: .relaxed)
        return try writer.withLock { state in
            waiting.subtract(1, ordering: .relaxed)
            clearStaleReadersPeriodically(&state)
            var retriedFull = false
            while true {
                enterGate()
                defer { leaveGate() }
                let txn = try begin(0)
                let t = LMDBTransaction(txn: txn, dbis: dbis, readOnly: false)
                do {
                    let result = try body(t)
                    t.finish()
                    try describeCommitFailure(commits.timed { mdb_txn_commit(txn) }, "mdb_txn_commit")
                    return result
                } catch StorageError.mapFull where !retriedFull {
                    // mdb_txn_commit frees the transaction even when it fails; abort only if it is still live.
                    if !t.finished { t.finish(); mdb_txn_abort(txn) }
                    // Pages held by dead readers cannot be reused: clear them, then try once more.
                    retriedFull = true
                    var dead: Int32 = 0
                    _ = mdb_reader_check(try environment(), &dead)
                } catch StorageError.mapFull {
                    if !t.finished { t.finish(); mdb_txn_abort(txn) }
                    throw StorageError.storageFull(limit: mapSize())
                } catch {
                    if !t.finished { t.finish(); mdb_txn_abort(txn) }
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

    /// The whole map is reserved at open, so a full map is a full store: like ``write(_:)``, a group that
    /// fills it clears stale readers and runs once more, then reports ``StorageError/storageFull(limit:)``.
    func writeGroup(_ run: () -> Void) throws {
        waiting.add(1, ordering: .relaxed)
        try writer.withLock { state in
            waiting.subtract(1, ordering: .relaxed)
            clearStaleReadersPeriodically(&state)
            var retriedFull = false
            while true {
                enterGate()
                defer { leaveGate() }
                let txn = try begin(0)
                let t = LMDBTransaction(txn: txn, dbis: dbis, readOnly: false)
                group.open(t)
                run()
                let full = group.close()
                t.finish()
                var rc = MDB_MAP_FULL
                if full { mdb_txn_abort(txn) } else { rc = commits.timed { mdb_txn_commit(txn) } }
                if rc == MDB_MAP_FULL {
                    guard !retriedFull else { throw StorageError.storageFull(limit: mapSize()) }
                    retriedFull = true
                    var dead: Int32 = 0
                    _ = mdb_reader_check(try environment(), &dead)
                    continue
                }
                try describeCommitFailure(rc, "mdb_txn_commit")
                return
            }
        }
    }

    /// Nothing to do: the whole map (``LMDBOptions/maximumMapSize``) is reserved when the store opens.
    func reserveMaximumMap() throws {}

    /// Turns a failed commit into an error that names a full disk (LMDB reports a short write as EIO).
    private func describeCommitFailure(_ rc: Int32, _ what: String) throws {
        guard rc != MDB_SUCCESS else { return }
        if rc == MDB_MAP_FULL { throw StorageError.mapFull }
        if rc == ENOSPC || rc == EDQUOT || (rc == EIO && StoreFiles.diskIsFull(path)) {
            throw StoreFiles.describe(ENOSPC, "\(what): nothing of this write was committed", path: path)
        }
        throw storageError(rc, what)
    }

    private func clearStaleReadersPeriodically(_ state: inout WriterState) {
        state.writesSinceReaderCheck += 1
        let now = ContinuousClock.now
        guard state.writesSinceReaderCheck >= 1000 || now - state.lastReaderCheck > .seconds(10), let env else { return }
        var dead: Int32 = 0
        _ = mdb_reader_check(env, &dead)
        state.writesSinceReaderCheck = 0
        state.lastReaderCheck = now
    }

    /// The size of the map this process has reserved.
    func mapSize() -> Int {
        guard let env else { return options.maximumMapSize }
        var info = MDB_envinfo()
        guard mdb_env_info(env, &info) == MDB_SUCCESS else { return options.maximumMapSize }
        return info.me_mapsize
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

    /// Writes a compacted copy to `path`: complete or absent (see ``StoreFiles/writeAtomically(to:_:)``).
    func backup(to path: String) throws {
        try StoreFiles.writeAtomically(to: path) { folder in
            let file = folder + "/data.mdb"
            let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, StoreFiles.fileMode)
            guard fd >= 0 else { throw StoreFiles.describe(errno, "cannot create \(file)", path: folder) }
            defer { Glibc.close(fd) }
            enterGate()
            defer { leaveGate() }
            var attempts = 0
            while true {
                attempts += 1
                let rc = mdb_env_copyfd2(try environment(), fd, UInt32(MDB_CP_COMPACT))
                if rc == MDB_MAP_RESIZED && attempts < 8 {
                    try exclusively("adopting the map another process grew") { env in
                        try check(mdb_env_set_mapsize(env, 0), "mdb_env_set_mapsize")
                    }
                    guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else {
                        throw StoreFiles.describe(errno, "cannot rewind \(file)", path: folder)
                    }
                    continue
                }
                if rc == ENOSPC || rc == EDQUOT || (rc == EIO && StoreFiles.diskIsFull(folder)) {
                    throw StoreFiles.describe(ENOSPC, "cannot write the backup \(file)", path: folder)
                }
                try check(rc, "writing the backup \(file)")
                return
            }
        }
    }

    /// Closes the environment once no transaction of this process is open. Later transactions fail with
    /// ``StorageError/closed`` at once. Called inside one of this thread's own transactions (a read
    /// closure such as `forEachEvent`'s, an import), it cannot wait for them: it returns, and the last
    /// transaction to end closes the environment.
    func close() {
        closing.store(true, ordering: .releasing)
        if holders.withLock({ $0[Self.currentThread, default: 0] > 0 }) { return }
        gate.lockExclusive()
        defer { gate.unlock() }
        closeEnvironment()
    }

    /// Closes the environment if ``close()`` was asked for and no transaction is open any more.
    private func closeIfIdle() {
        guard gate.tryLockExclusive() else { return }
        defer { gate.unlock() }
        closeEnvironment()
    }

    /// Closes the environment (the caller holds `gate` exclusively) and frees its path for a later open.
    private func closeEnvironment() {
        guard let env else { return }
        mdb_env_close(env)
        self.env = nil
        lockProbe.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
        let canonical = openCanonicalPath
        _ = LMDBStorage.openPaths.withLock { $0.remove(canonical) }
    }

    /// Takes `gate` shared for a transaction of the calling thread.
    private func enterGate() {
        gate.lockShared()
        holders.withLock { $0[Self.currentThread, default: 0] += 1 }
    }

    /// Ends what ``enterGate()`` began; the last transaction after a ``close()`` closes the environment.
    private func leaveGate() {
        let thread = Self.currentThread
        holders.withLock { h in
            let n = h[thread, default: 1] - 1
            h[thread] = n == 0 ? nil : n
        }
        gate.unlock()
        if closing.load(ordering: .acquiring) { closeIfIdle() }
    }

    private static var currentThread: UInt { UInt(pthread_self()) }
}

/// A read or write transaction of ``LMDBStorage``. Cursors opened in it are closed when it ends.
final class LMDBTransaction: StorageWriteTransaction {
    let txn: OpaquePointer
    let dbis: [MDB_dbi]
    let readOnly: Bool
    private(set) var finished = false
    /// The cursors opened in this transaction and still in use. A cursor is closed as soon as its last
    /// ``LMDBCursor`` copy goes away: LMDB walks every open cursor of a table on each put in a write
    /// transaction, so cursors kept open until the end made a long import quadratic (one short-lived
    /// cursor per queue look-up, a million of them in a 1M-event import).
    private var cursors: [WeakCursorBox] = []
    private var cursorCompaction = 64

    init(txn: OpaquePointer, dbis: [MDB_dbi], readOnly: Bool) {
        self.txn = txn
        self.dbis = dbis
        self.readOnly = readOnly
    }

    /// How many of the cursors opened in this transaction are still open (for tests).
    var openCursorCount: Int { cursors.count { $0.box?.cursor != nil } }

    /// Closes the cursors; after this the transaction may be committed or aborted.
    func finish() {
        for c in cursors { c.box?.close() }
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
        if cursors.count >= cursorCompaction {
            cursors.removeAll { $0.box == nil }
            cursorCompaction = max(64, cursors.count * 2)
        }
        cursors.append(WeakCursorBox(box: box))
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

/// Owns an `MDB_cursor` until its last user lets go of it or its transaction ends, whichever is first.
final class LMDBCursorBox {
    var cursor: OpaquePointer?
    init(cursor: OpaquePointer) { self.cursor = cursor }
    deinit { close() }
    func close() {
        if let cursor { mdb_cursor_close(cursor) }
        cursor = nil
    }
}

/// A transaction's weak hold on a cursor it must close at its end if the cursor is still open then.
struct WeakCursorBox {
    weak var box: LMDBCursorBox?
}

/// A cursor over one LMDB database.
struct LMDBCursor: StorageCursor {
    let box: LMDBCursorBox
    private var k = MDB_val()
    private var v = MDB_val()
    private var positioned = false
    /// Consecutive look-ups the step back did not find (``withValue(at:_:)``).
    private var neighbourMisses = 0

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
    mutating func withValue<R>(at key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        // A page walks its records in list order, newest first, and ids are UUIDv7 of `startedAt`: the next
        // record is often the one just before the cursor. One step back reaches it without descending from
        // the root (MDB_SET_KEY does when the key is off the cursor's leaf). After two misses in a row (a
        // member's or a filter's events, far apart) the cursor stops trying.
        if positioned, neighbourMisses < 2, let c = box.cursor {
            var pk = MDB_val()
            var pv = MDB_val()
            let rc = mdb_cursor_get(c, &pk, &pv, MDB_PREV)
            if rc == MDB_SUCCESS, pk.mv_size == key.count, let base = key.baseAddress, memcmp(pk.mv_data, base, key.count) == 0 {
                k = pk
                v = pv
                neighbourMisses = 0
                return try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
            }
            if rc != MDB_NOTFOUND { try check(rc, "mdb_cursor_get") }
            neighbourMisses += 1
        }
        // MDB_SET_KEY (not MDB_SET): it points `k` at the key in the map, not at the caller's bytes.
        k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        guard try move(MDB_SET_KEY) else { return nil }
        return try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
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
    func tryLockExclusive() -> Bool { pthread_rwlock_trywrlock(lock) == 0 }
    func unlock() { pthread_rwlock_unlock(lock) }
}
