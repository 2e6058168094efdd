import CLMDB
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A structural check of LMDB's B-tree pages, read with `pread` instead of through the map: LMDB trusts
/// its pages, so a damaged branch or leaf page can send it outside the map. `verify` runs this first
/// and walks a tree with LMDB only when its pages are sound.
///
/// It checks what LMDB relies on (64-bit layout of LMDB 0.9): each page's number, kind and free-space
/// bounds; every node inside its page; child and overflow page numbers inside the snapshot; no page
/// reachable twice. It runs inside a read transaction, on the meta page of that transaction's snapshot,
/// so LMDB does not reuse the pages it reads meanwhile.
struct PageCheck {
    let fd: Int32
    let pageSize: Int
    let lastPage: Int
    var visited: [UInt64]
    /// Whole pages in the file; a tree or overflow page at or past it is reported.
    var pagesInFile = Int.max
    var problems: [String] = []
    let maximumProblems: Int

    static let branch: UInt16 = 0x01, leaf: UInt16 = 0x02, overflow: UInt16 = 0x04, leaf2: UInt16 = 0x20
    static let bigData: UInt16 = 0x01, subData: UInt16 = 0x02, dupData: UInt16 = 0x04

    init(fd: Int32, pageSize: Int, lastPage: Int, maximumProblems: Int) {
        self.fd = fd
        self.pageSize = pageSize
        self.lastPage = lastPage
        self.visited = [UInt64](repeating: 0, count: lastPage / 64 + 1)
        self.maximumProblems = maximumProblems
    }

    mutating func report(_ p: String) { if problems.count < maximumProblems { problems.append(p) } }

    func read(_ pgno: Int) -> [UInt8]? {
        var page = [UInt8](repeating: 0, count: pageSize)
        let n = page.withUnsafeMutableBytes { pread(fd, $0.baseAddress, pageSize, off_t(pgno) * off_t(pageSize)) }
        return n == pageSize ? page : nil
    }

    /// Walks the tree rooted at `root` (`P_INVALID` = empty). `onSubDB` hears each named database record.
    mutating func walk(_ root: UInt64, tree: String, depth: Int = 0, onSubDB: ((String, UInt64) -> Void)? = nil) {
        guard root != UInt64.max, problems.count < maximumProblems else { return }
        let pgno = Int(clamping: root)
        guard root <= UInt64(lastPage), pgno >= 2 else { return report("\(tree): page number \(root) outside the file (last page \(lastPage))") }
        guard depth < 32 else { return report("\(tree): tree deeper than 32 levels at page \(pgno)") }
        guard visited[pgno / 64] & (1 << UInt64(pgno % 64)) == 0 else { return report("\(tree): page \(pgno) is reachable twice") }
        visited[pgno / 64] |= 1 << UInt64(pgno % 64)
        guard let page = read(pgno) else { return report("\(tree): page \(pgno) cannot be read") }
        func u16(_ o: Int) -> UInt16 { page.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt16.self) } }
        func u64(_ o: Int) -> UInt64 { page.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt64.self) } }
        guard u64(0) == root else { return report("\(tree): page \(pgno) says it is page \(u64(0))") }
        let flags = u16(10)
        let kind = flags & (PageCheck.branch | PageCheck.leaf | PageCheck.overflow | PageCheck.leaf2)
        // Dup-fixed (leaf2) pages belong to duplicate-sorted databases, which this store never creates.
        guard kind == PageCheck.branch || kind == PageCheck.leaf else {
            return report("\(tree): page \(pgno) has kind flags \(String(flags, radix: 16)), not branch or leaf")
        }
        let lower = Int(u16(12)), upper = Int(u16(14))
        guard lower >= 16, lower <= upper, upper <= pageSize, lower % 2 == 0 else {
            return report("\(tree): page \(pgno) has free-space bounds \(lower)…\(upper)")
        }
        // LMDB indexes a branch page's nodes without checking that it has any.
        guard kind == PageCheck.leaf || lower > 16 else { return report("\(tree): branch page \(pgno) has no nodes") }
        for i in 0..<((lower - 16) / 2) {
            let at = Int(u16(16 + 2 * i))
            guard at >= upper, at + 8 <= pageSize else { return report("\(tree): page \(pgno) node \(i) at offset \(at) outside its page") }
            let lo = UInt64(u16(at)), hi = UInt64(u16(at + 2)), nodeFlags = u16(at + 4), keySize = Int(u16(at + 6))
            let data = at + 8 + keySize
            guard data <= pageSize else { return report("\(tree): page \(pgno) node \(i) key runs past its page") }
            if kind == PageCheck.branch {
                walk(lo | hi << 16 | UInt64(nodeFlags) << 32, tree: tree, depth: depth + 1, onSubDB: onSubDB)
                continue
            }
            let size = Int(lo | hi << 16)
            // Only the main database holds named-database records (sub-data); no tree holds duplicates
            // (a dup-data flag sends LMDB to a sub-cursor that a plain database does not have).
            let allowed = onSubDB == nil ? PageCheck.bigData : PageCheck.bigData | PageCheck.subData
            guard nodeFlags & ~allowed == 0 else {
                return report("\(tree): page \(pgno) node \(i) has node flags \(String(nodeFlags, radix: 16))")
            }
            if nodeFlags & PageCheck.bigData != 0 {
                guard data + 8 <= pageSize else { return report("\(tree): page \(pgno) node \(i) overflow number runs past its page") }
                checkOverflow(u64(data), size: size, tree: tree)
            } else {
                guard data + size <= pageSize else { return report("\(tree): page \(pgno) node \(i) value runs past its page") }
                if nodeFlags & PageCheck.subData != 0, nodeFlags & PageCheck.dupData == 0, size >= 48, let onSubDB {
                    onSubDB(String(decoding: page[(at + 8)..<data], as: UTF8.self), u64(data + 40))
                }
            }
        }
    }

    mutating func checkOverflow(_ first: UInt64, size: Int, tree: String) {
        let pgno = Int(clamping: first)
        let pages = (16 + size + pageSize - 1) / pageSize
        guard first >= 2, first <= UInt64(lastPage), pgno + pages - 1 <= lastPage else {
            return report("\(tree): overflow pages \(first)+\(pages) outside the file (last page \(lastPage))")
        }
        guard pgno + pages <= pagesInFile else {
            return report("\(tree): overflow pages \(first)+\(pages) run past the end of data.mdb (\(pagesInFile) pages)")
        }
        guard let page = read(pgno) else { return report("\(tree): overflow page \(pgno) cannot be read") }
        let number = page.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self) }
        let flags = page.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 10, as: UInt16.self) }
        let count = page.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self) }
        guard number == first, flags & PageCheck.overflow != 0, Int(count) >= pages else {
            return report("\(tree): overflow page \(pgno) is damaged (number \(number), flags \(flags), pages \(count) for \(size) bytes)")
        }
    }
}

extension LMDBStorage {
    /// Checks the pages of the free list, the main database and the named `tables`, in one read
    /// transaction's snapshot. - Returns: problems; empty when the pages are sound.
    func checkPages(of tables: [Table], maximumProblems: Int = 100) throws -> [String] {
        try readRaw { txn, env in
            try LMDBStorage.checkPages(txn: txn, env: env, tables: tables.map(\.name), maximumProblems: maximumProblems)
        }
    }

    /// The pages LMDB reads while a store opens (the free list, the main database that names the
    /// tables, and the small `meta` table), checked before LMDB follows them: a damaged node there
    /// would stop the process instead of failing the open. - Throws: `StorageError.corrupted`.
    static func checkPagesBeforeOpening(_ env: OpaquePointer) throws {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), "mdb_txn_begin")
        defer { mdb_txn_abort(txn) }
        let problems = try checkPages(txn: txn!, env: env, tables: [Table.meta.name], maximumProblems: 3)
        guard problems.isEmpty else {
            throw StorageError.corrupted("data.mdb is damaged (\(problems.joined(separator: "; "))); run `syncevents verify`")
        }
    }

    /// The check itself, inside the read transaction `txn` of `env`.
    static func checkPages(txn: OpaquePointer, env: OpaquePointer, tables: [String], maximumProblems: Int) throws -> [String] {
        var fd: Int32 = -1
        try check(mdb_env_get_fd(env, &fd), "mdb_env_get_fd")
        let txnid = UInt64(mdb_txn_id(txn))
        func header(at offset: Int) -> [UInt8]? {
            var h = [UInt8](repeating: 0, count: 152)
            return h.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, 152, off_t(offset)) }) == 152 ? h : nil
        }
        func u64(_ h: [UInt8], _ o: Int) -> UInt64 { h.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt64.self) } }
        guard let first = header(at: 0) else { return ["the first meta page cannot be read"] }
        let pageSize = Int(first.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 40, as: UInt32.self) })
        guard pageSize >= 512, pageSize <= 65536 else { return ["meta page 0 gives an impossible page size \(pageSize)"] }
        // The meta page of this snapshot; when a later commit already replaced it, there is nothing
        // stable to check against (the caller's LMDB walk still runs).
        guard let m = [first, header(at: pageSize)].compactMap({ $0 }).first(where: { u64($0, 144) == txnid }) else { return [] }
        let (last, free, main) = (u64(m, 136), u64(m, 80), u64(m, 128))
        guard last < UInt64(Int.max / 65536) else { return ["the meta page of transaction \(txnid) is damaged"] }
        // A page past the end of the file is a bus error when LMDB reads it through the map. (Pages up to
        // the meta page's last page need not all be in the file: LMDB does not write pages a transaction
        // allocated and freed again.)
        var info = stat()
        guard fstat(fd, &info) == 0 else { return ["data.mdb cannot be examined: \(String(cString: strerror(errno)))"] }
        var checker = PageCheck(fd: fd, pageSize: pageSize, lastPage: Int(last), maximumProblems: maximumProblems)
        checker.pagesInFile = max(0, Int(info.st_size)) / pageSize
        checker.walk(free, tree: "free list")
        var roots: [String: UInt64] = [:]
        checker.walk(main, tree: "main database") { name, root in roots[name] = root }
        for table in tables {
            guard let root = roots[table] else { continue }
            checker.walk(root, tree: "table \(table)")
        }
        return checker.problems
    }
}
