import CLMDB
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files of an LMDB store on disk: the folder (owner-only), the check of `data.mdb` against its
/// meta pages before LMDB maps it, the lock file allocated up front, and errors that name their cause.
enum StoreFiles {
    /// Mode of the store folder and of backup folders: owner only.
    static let folderMode: mode_t = 0o700
    /// Mode of `data.mdb`, `lock.mdb` and backups: owner only.
    static let fileMode: mode_t = 0o600

    /// Creates the store folder (0700) when missing; refuses an empty path, a path that is a file, and
    /// a folder the process may not write, each with its own message.
    static func prepareFolder(_ path: String) throws {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw StorageError.io(code: ENOTDIR, message: "\(path) is a file, not a store folder; pass a folder path")
            }
            guard access(path, R_OK | W_OK | X_OK) == 0 else {
                throw StorageError.io(code: EACCES, message: "permission denied: this user may not read and write the store folder \(path)")
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try prepareFolder(parent) }
        if mkdir(path, folderMode) != 0 && errno != EEXIST {
            throw describe(errno, "cannot create the store folder \(path)", path: path)
        }
    }

    /// Checks an existing `data.mdb` against its two meta pages: a zero-length or truncated file, a
    /// wrong magic or version, or a last page beyond the file are refused here, before LMDB maps the file
    /// (touching a page past the end of a mapped file is a SIGBUS, not an error).
    static func checkDataFile(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { return }  // a new store
            throw describe(errno, "cannot open \(path)", path: path)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw describe(errno, "cannot stat \(path)", path: path) }
        let size = Int(st.st_size)
        guard size > 0 else {
            throw StorageError.corrupted("\(path) is empty (0 bytes): it holds no LMDB meta pages")
        }
        var header = [UInt8](repeating: 0, count: 4096)
        let n = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 4096, 0) }
        guard n >= 152 else {
            throw StorageError.corrupted("\(path) is truncated: \(size) bytes, shorter than one LMDB meta page")
        }
        let first = try meta(header, at: 0, path: path)
        let pageSize = first.pageSize
        guard pageSize >= 512, pageSize <= 65536, pageSize & (pageSize - 1) == 0 else {
            throw StorageError.corrupted("\(path): meta page 0 gives an impossible page size \(pageSize)")
        }
        guard size >= 2 * pageSize else {
            throw StorageError.corrupted("\(path) is truncated: \(size) bytes, shorter than its two meta pages (\(2 * pageSize))")
        }
        var second = [UInt8](repeating: 0, count: 152)
        guard second.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, 152, off_t(pageSize)) }) == 152 else {
            throw describe(errno, "cannot read the second meta page of \(path)", path: path)
        }
        let other = try meta(second, at: 1, path: path)
        // LMDB uses the meta page with the newer transaction id; every page up to its last page must exist.
        let current = first.txnid >= other.txnid ? first : other
        let needed = (current.lastPage + 1) * pageSize
        guard size >= needed else {
            throw StorageError.corrupted(
                "\(path) is truncated: \(size) bytes, but its meta page says the data reaches page \(current.lastPage) (\(needed) bytes)")
        }
    }

    struct Meta {
        var pageSize: Int
        var lastPage: Int
        var txnid: Int
    }

    /// Reads a 64-bit LMDB meta page: page header 16 bytes, then `mm_magic u32, mm_version u32,
    /// mm_address, mm_mapsize, mm_dbs[2] (48 bytes each, the free DB's `md_pad` is the page size),
    /// mm_last_pg, mm_txnid`.
    private static func meta(_ page: [UInt8], at index: Int, path: String) throws -> Meta {
        func u32(_ o: Int) -> UInt32 { page.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt32.self) } }
        func u64(_ o: Int) -> UInt64 { page.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt64.self) } }
        guard u32(16) == 0xBEEF_C0DE else {
            throw StorageError.corrupted("\(path) is not an LMDB data file (meta page \(index) has a wrong magic number)")
        }
        guard u32(20) == 1 else {
            throw StorageError.corrupted("\(path): meta page \(index) has LMDB data version \(u32(20)), expected 1")
        }
        let last = u64(136)
        let txnid = u64(144)
        guard last < UInt64(Int.max / 65536), txnid < UInt64(Int.max) else {
            throw StorageError.corrupted("\(path): meta page \(index) is damaged (last page \(last))")
        }
        return Meta(pageSize: Int(u32(40)), lastPage: Int(last), txnid: Int(txnid))
    }

    /// Creates `lock.mdb` (0600) with its space allocated, when it is missing: LMDB maps the lock file
    /// and writes through the map, which on a full file system is a SIGBUS instead of an error.
    static func preallocateLockFile(_ path: String, maxReaders: UInt32) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        if fd < 0 {
            if errno == EEXIST { return }
            throw describe(errno, "cannot create \(path)", path: path)
        }
        defer { close(fd) }
        // LMDB's lock file: a header under 256 bytes and 64 bytes per reader slot; round up to whole pages
        // (LMDB keeps a larger file as it is and gives the spare room to more reader slots).
        let bytes = (256 + Int(maxReaders) * 64 + 4095) / 4096 * 4096
        let rc = posix_fallocate(fd, 0, off_t(bytes))
        if rc != 0 && rc != EOPNOTSUPP && rc != EINVAL {
            unlink(path)
            throw describe(rc, "cannot create the lock file \(path)", path: path)
        }
    }

    /// An ``StorageError`` for a system error code that names the cause a user can act on.
    static func describe(_ code: Int32, _ what: String, path: String) -> StorageError {
        switch code {
        case ENOSPC, EDQUOT:
            return .io(code: code, message: "\(what): the disk is full (\(code == ENOSPC ? "ENOSPC" : "EDQUOT")); free space on the file system of \(path) and retry")
        case EACCES, EPERM:
            return .io(code: code, message: "\(what): permission denied for this user")
        case EROFS:
            return .io(code: code, message: "\(what): the file system is read-only")
        case ENOTDIR:
            return .io(code: code, message: "\(what): a part of the path is a file, not a folder")
        default:
            return .io(code: code, message: "\(what): \(String(cString: strerror(code)))")
        }
    }

    /// Whether the file system holding `path` has (almost) no space left: LMDB reports a short write as
    /// EIO, so a failed commit is checked against the free space before it is described.
    static func diskIsFull(_ path: String) -> Bool {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return false }
        return UInt64(s.f_bavail) * UInt64(s.f_bsize) < 1 << 20
    }

    /// Flushes a file or folder to disk.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw describe(errno, "cannot open \(path) to flush it", path: path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw describe(errno, "cannot flush \(path)", path: path) }
    }
}

extension StoreFiles {
    /// Writes a backup so that it is complete or absent: `fill` writes the copy into a fresh, owner-only
    /// folder next to `path`; the files are flushed, then the folder is renamed to `path` and its parent
    /// flushed. A failure (or a kill) leaves nothing at `path`; a failure removes the partial folder.
    static func writeAtomically(to path: String, _ fill: (_ folder: String) throws -> Void) throws {
        guard !path.isEmpty else { throw StorageError.io(code: EINVAL, message: "the backup path is empty; pass a folder path") }
        let target = URL(fileURLWithPath: path).standardizedFileURL.path
        var st = stat()
        if stat(target, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw StorageError.io(code: EEXIST, message: "\(target) is a file; back up into a new or empty folder")
            }
            let existing = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
            if existing.contains("data.mdb") {
                throw StorageError.io(code: EEXIST, message: "\(target) already holds a store; back up into a new or empty folder")
            }
            guard existing.isEmpty else {
                throw StorageError.io(code: ENOTEMPTY, message: "\(target) is not empty; back up into a new or empty folder")
            }
        }
        let parent = (target as NSString).deletingLastPathComponent
        try prepareFolder(parent)
        let name = (target as NSString).lastPathComponent
        let partial = (parent as NSString).appendingPathComponent(".\(name).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard mkdir(partial, folderMode) == 0 else { throw describe(errno, "cannot create \(partial)", path: parent) }
        do {
            try fill(partial)
            try? FileManager.default.removeItem(atPath: (partial as NSString).appendingPathComponent("lock.mdb"))
            try sync((partial as NSString).appendingPathComponent("data.mdb"))
            try sync(partial)
            // rename(2) replaces an empty folder and refuses a non-empty one: a store that appeared
            // meanwhile is never overwritten.
            guard rename(partial, target) == 0 else {
                throw describe(errno, "cannot move the finished backup to \(target)", path: parent)
            }
            try sync(parent)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }
}
