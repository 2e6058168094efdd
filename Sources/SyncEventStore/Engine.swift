/// The store's logic, written once over the storage protocol: LMDB and in-memory run exactly this code.
final class Engine<S: KeyValueStorage>: Sendable {
    let storage: S
    let limits: RecordLimits
    /// The per-store secret that authenticates page cursors.
    let secret: [UInt8]
    /// Most `q` candidates taken from the search index before a walk checks records instead.
    let searchCandidateLimit: Int
    /// Told about each record `claimDue` found undecodable and quarantined.
    let onUndecodableRecord: (@Sendable (TypeID, String) -> Void)?

    static var formatKey: [UInt8] { Array("format".utf8) }
    static var secretKey: [UInt8] { Array("cursorSecret".utf8) }
    /// Format 2: the claim queue (`delayed`, `targetQueue`, `ready`, `queueHead` indexes) replaced the
    /// `due` index of format 1.
    static var currentFormat: [UInt8] { [2] }

    init(storage: S, limits: RecordLimits, searchCandidateLimit: Int = 4096,
         onUndecodableRecord: (@Sendable (TypeID, String) -> Void)? = nil) throws {
        self.storage = storage
        self.onUndecodableRecord = onUndecodableRecord
        self.limits = limits
        self.searchCandidateLimit = searchCandidateLimit
        self.secret = try storage.write { txn in
            if let format = try txn.get(.meta, Engine.formatKey) {
                if format == [1] {
                    try Engine.migrateFromFormat1(txn)
                    try txn.put(.meta, Engine.formatKey, Engine.currentFormat)
                } else if format != Engine.currentFormat {
                    throw StorageError.corrupted("store format \(format) is not supported (expected \(Engine.currentFormat))")
                }
            } else {
                try txn.put(.meta, Engine.formatKey, Engine.currentFormat)
            }
            if let secret = try txn.get(.meta, Engine.secretKey) { return secret }
            var random = SystemRandomSource()
            var secret: [UInt8] = []
            for _ in 0..<4 { withUnsafeBytes(of: random.next()) { secret.append(contentsOf: $0) } }
            try txn.put(.meta, Engine.secretKey, secret)
            return secret
        }
    }

    /// Validates every event, then writes them all in one transaction; nothing is written if any fails.
    func record(_ events: [SyncEvent]) throws {
        for (i, e) in events.enumerated() {
            do { try e.validate(limits: limits) } catch {
                var error = error
                if events.count > 1 { error.index = i }
                throw error
            }
        }
        var seen = Set<TypeID>()
        for e in events where !seen.insert(e.id).inserted { throw SyncEventStoreError.duplicateID(e.id) }
        try storage.write { txn in
            for e in events where try txn.withValue(.events, e.id.bytes, { _ in true }) == true {
                throw SyncEventStoreError.duplicateID(e.id)
            }
            if events.count >= 32 {
                try txn.insertNewRecords(events)
            } else {
                for e in events { try txn.storeRecord(e) }
            }
        }
    }

    func event(id: TypeID) throws -> SyncEvent? {
        try storage.read { txn in
            try txn.withValue(.events, id.bytes) { try RecordCodec.decode($0) }
        }
    }

    func count() throws -> Int { try storage.read { try $0.entryCount(.events) } }
}
