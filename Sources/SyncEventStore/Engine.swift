import Foundation

/// The store's logic, written once over the storage protocol: LMDB and in-memory run exactly this code.
final class Engine<S: KeyValueStorage>: Sendable {
    let storage: S
    let limits: RecordLimits
    /// The per-store secret that authenticates page cursors.
    let secret: [UInt8]
    /// Most `q` candidates taken from the search index before a walk checks records instead.
    let searchCandidateLimit: Int
    /// See `Configuration.searchBalance`.
    let searchBalance: Double
    /// Told about each record `claimDue` found undecodable and quarantined.
    let onUndecodableRecord: (@Sendable (TypeID, String) -> Void)?

    static var formatKey: [UInt8] { Array("format".utf8) }
    static var secretKey: [UInt8] { Array("cursorSecret".utf8) }
    /// Format 4: the per-target index entries (`targetStatus`, `targetQueue`, `queueHead`) are grouped by
    /// target under one leading byte (``IndexKind/perTarget``), and `instanceStatus` entries are keyed
    /// `org ‖ status ‖ instance` (key byte 15) instead of `org ‖ instance ‖ status` (byte 6): a claim
    /// rewrites fewer, closer pages. Format 3: records end with a CRC-32C, and the claim queue (`delayed`,
    /// `targetQueue`, `ready`, `queueHead` indexes) replaced the `due` index of format 1. Stores of formats
    /// 1 and 3 are upgraded when they open; format 2 was never released (two development branches used it
    /// for one half each).
    static var currentFormat: [UInt8] { [4] }

    /// Opens the engine over `storage`, creating the metadata of a new store and upgrading an older one;
    /// `progress` hears about long upgrades (a format change, a search index rebuilt for new Unicode tables).
    init(storage: S, limits: RecordLimits, searchCandidateLimit: Int = 4096, searchBalance: Double = 0.5,
         onUndecodableRecord: (@Sendable (TypeID, String) -> Void)? = nil, progress: ((String) -> Void)? = nil) throws {
        self.storage = storage
        self.onUndecodableRecord = onUndecodableRecord
        self.limits = limits
        self.searchCandidateLimit = searchCandidateLimit
        self.searchBalance = searchBalance
        self.secret = try storage.write { txn in
            if let format = try txn.get(.meta, Engine.formatKey) {
                if format == [1] || format == [3] {
                    try Engine.refuseUpgradeWhileShared(storage)
                }
                if format == [1] {
                    // Records first (they get their checksum), then the per-target entries move under their
                    // target, then the claim queue is rebuilt from the records.
                    try Engine.upgradeRecordsFromFormat1(txn, progress: progress)
                    try Engine.regroupIndexEntriesForFormat4(txn, progress: progress)
                    try Engine.migrateFromFormat1(txn)
                    try txn.put(.meta, Engine.formatKey, Engine.currentFormat)
                } else if format == [3] {
                    try Engine.regroupIndexEntriesForFormat4(txn, progress: progress)
                    try txn.put(.meta, Engine.formatKey, Engine.currentFormat)
                } else if format != Engine.currentFormat {
                    throw StorageError.corrupted("store format \(format) is not supported (expected \(Engine.currentFormat))")
                }
            } else {
                try txn.put(.meta, Engine.formatKey, Engine.currentFormat)
                try txn.put(.meta, StoreFormat.unicodeKey, Array(StoreFormat.unicodeVersion.utf8))
            }
            if let secret = try txn.get(.meta, Engine.secretKey) { return secret }
            let secret = Engine.randomSecret()
            try txn.put(.meta, Engine.secretKey, secret)
            return secret
        }
        try rebuildSearchIndexIfUnicodeChanged(progress: progress)
    }

    /// Throws when another process has the store open: an upgrade rewrites index entries that a process
    /// of an older release, opened before, would go on reading and writing in the old layout.
    static func refuseUpgradeWhileShared(_ storage: S) throws {
        guard let lmdb = storage as? LMDBStorage, let pid = lmdb.otherProcessHoldingTheStore() else { return }
        throw StorageError.io(
            code: EBUSY,
            message: "the store at \(lmdb.path) needs an upgrade to format \(Engine.currentFormat[0]), and process \(pid) has it open "
                + "(it may run an older release, which would go on using the old format); stop it, then open the store again")
    }

    /// 32 random bytes from the system's generator.
    static func randomSecret() -> [UInt8] {
        var random = SystemRandomSource()
        var secret: [UInt8] = []
        for _ in 0..<4 { withUnsafeBytes(of: random.next()) { secret.append(contentsOf: $0) } }
        return secret
    }

    /// The cursor secret as the store holds it now (another process may have rotated it).
    func currentSecret(_ txn: some StorageReadTransaction) throws -> [UInt8] {
        try txn.get(.meta, Engine.secretKey) ?? secret
    }

    /// Replaces the cursor secret with a new random one: every cursor issued before is refused.
    func rotateCursorSecret() throws {
        let secret = Engine.randomSecret()
        try storage.write { txn in try txn.put(.meta, Engine.secretKey, secret) }
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
