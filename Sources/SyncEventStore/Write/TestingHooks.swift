extension SyncEventStore {
    /// Runs `body` in one write transaction of whichever engine backs the store (internal: tests and
    /// lifecycle operations build on it).
    func write<R>(_ body: (any StorageWriteTransaction) throws -> R) throws -> R {
        switch backend {
        case .lmdb(let e): return try e.storage.write { try body($0) }
        case .memory(let e): return try e.storage.write { try body($0) }
        }
    }
}
