extension SyncEventStore {
    /// Writes a compacted, consistent copy of the store into the directory `path`, which must not hold a
    /// store yet (it is created when missing).
    ///
    /// The copy is one snapshot: writers may keep writing while it is taken, and it contains exactly the
    /// transactions committed before it began. It is a normal store: open it with ``open(at:configuration:)``.
    /// An in-memory store is copied into a new LMDB store at `path`.
    ///
    /// ```swift
    /// try store.backup(to: "/var/backups/sync-events-2026-11-29")
    /// ```
    /// - Throws: ``SyncEventStoreError/io(code:message:)`` when `path` already holds a store or cannot
    ///   be written.
    public func backup(to path: String) throws(SyncEventStoreError) {
        try mapErrors {
            switch backend {
            case .lmdb(let e): try e.storage.backup(to: path)
            case .memory(let e): try e.storage.backup(to: path)
            }
        }
    }
}
