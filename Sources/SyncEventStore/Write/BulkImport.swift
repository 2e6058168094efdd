/// A bulk load into one write transaction, fed in slices of any size (see
/// ``SyncEventStore/importEvents(_:)``). Memory stays bounded: events are written into the transaction
/// every ``defaultFlushThreshold`` events (LMDB spills a large transaction's pages to the file), and ids are
/// checked against the transaction itself, not a set in memory.
public final class EventImporter {
    /// Events gathered before they are written into the transaction.
    public static let defaultFlushThreshold = 65_536
    private let flushThreshold: Int

    /// One refused event of a slice.
    public struct Refusal: Sendable, Equatable {
        /// Its position in the slice passed to ``EventImporter/add(_:)``.
        public var offset: Int
        /// Why: ``SyncEventStoreError/invalidRecord(_:)`` or ``SyncEventStoreError/duplicateID(_:)``.
        public var error: SyncEventStoreError
    }

    private let limits: RecordLimits
    private let insert: ([SyncEvent]) throws -> Void
    private let exists: (TypeID) throws -> Bool
    private let markSeen: (TypeID) throws -> Void
    private var pending: [SyncEvent] = []
    private var pendingIDs = Set<TypeID>()
    private let storeWasEmpty: Bool
    /// Events written into the transaction so far (all of them are committed only at the end).
    public private(set) var written = 0
    /// Events refused so far; when any was, nothing will be committed.
    public private(set) var refused = 0
    /// The first refusal, thrown by ``SyncEventStore/importEvents(_:)`` at the end.
    private(set) var firstRefusal: SyncEventStoreError?

    init(
        limits: RecordLimits, storeWasEmpty: Bool, flushThreshold: Int, exists: @escaping (TypeID) throws -> Bool,
        markSeen: @escaping (TypeID) throws -> Void, insert: @escaping ([SyncEvent]) throws -> Void
    ) {
        self.limits = limits
        self.flushThreshold = flushThreshold
        self.storeWasEmpty = storeWasEmpty
        self.exists = exists
        self.markSeen = markSeen
        self.insert = insert
        pending.reserveCapacity(min(flushThreshold, 1 << 20))
    }

    /// Checks and adds `events`. Valid events are written into the transaction until the first refusal;
    /// after it, events are still checked (and their ids remembered in the doomed transaction) so that
    /// every bad event is reported, but nothing will be committed.
    /// - Returns: the refused events of this slice: invalid records, and ids that repeat an earlier event
    ///   of the import or an event already in the store.
    /// - Throws: a storage failure (the import is then over).
    public func add(_ events: some Collection<SyncEvent>) throws(SyncEventStoreError) -> [Refusal] {
        try mapErrors {
            var refusals: [Refusal] = []
            for (offset, event) in events.enumerated() {
                do throws(RecordValidationError) { try event.validate(limits: limits) } catch {
                    refusals.append(Refusal(offset: offset, error: .invalidRecord(error)))
                    continue
                }
                if try pendingIDs.contains(event.id) || exists(event.id) {
                    refusals.append(Refusal(offset: offset, error: .duplicateID(event.id)))
                    continue
                }
                if refused + refusals.count > 0 {
                    try flushPendingIDsOnly()
                    try markSeen(event.id)
                    continue
                }
                pending.append(event)
                pendingIDs.insert(event.id)
                if pending.count >= flushThreshold { try flush() }
            }
            refused += refusals.count
            if firstRefusal == nil { firstRefusal = refusals.first?.error }
            return refusals
        }
    }

    /// Stops writing, as after a refusal: later events are only checked, and nothing will be committed
    /// (for callers that refuse input of their own, such as lines that are not JSON).
    public func abandon() {
        if refused == 0 { refused = 1 }
        if firstRefusal == nil { firstRefusal = .invalidArgument("the import was abandoned") }
    }

    /// A refused id's message part: whether it can only repeat an earlier event of this import.
    public var duplicatesAreWithinImport: Bool { storeWasEmpty }

    func flush() throws {
        guard !pending.isEmpty else { return }
        guard refused == 0 else { return try flushPendingIDsOnly() }
        try insert(pending)
        written += pending.count
        pending.removeAll(keepingCapacity: true)
        pendingIDs.removeAll(keepingCapacity: true)
    }

    /// After a refusal: keep only the ids of gathered events (to find later repeats), not the events.
    private func flushPendingIDsOnly() throws {
        guard !pending.isEmpty else { return }
        for e in pending { try markSeen(e.id) }
        pending.removeAll(keepingCapacity: true)
        pendingIDs.removeAll(keepingCapacity: true)
    }
}

/// The import did not commit because events were refused; carries the first refusal.
struct ImportRefused: Error {
    var first: SyncEventStoreError
}

extension Engine {
    /// Runs `feed` with an importer over one write transaction, committed only when `feed` returns and
    /// no event was refused.
    func importEvents(flushThreshold: Int = EventImporter.defaultFlushThreshold, _ feed: (EventImporter) throws -> Void)
        throws -> Int
    {
        try storage.reserveMaximumMap()
        let buffers = BulkBuffers()
        var ran = false
        return try storage.write { txn in
            // `write` runs its body again after a full map (once stale readers are cleared); the input is
            // consumed by then, so a second run would commit a part of it: report the full store instead.
            guard !ran else { throw StorageError.storageFull(limit: -1) }
            ran = true
            let empty = try txn.entryCount(.events) == 0
            let importer = EventImporter(
                limits: limits, storeWasEmpty: empty, flushThreshold: flushThreshold,
                exists: { id in try txn.withValue(.events, id.bytes) { _ in true } ?? false },
                markSeen: { id in try txn.put(.events, id.bytes, []) },
                insert: { events in try txn.insertNewRecords(events, buffers: buffers) })
            do {
                try feed(importer)
                try importer.flush()
            } catch StorageError.mapFull {
                // The transaction cannot be run again (the input is consumed): no retry with a larger map.
                throw StorageError.storageFull(limit: -1)
            }
            if let first = importer.firstRefusal { throw ImportRefused(first: first) }
            return importer.written
        }
    }
}

extension SyncEventStore {
    /// Imports events in ONE write transaction, all or nothing, fed by `feed` in slices of any size
    /// (``EventImporter/add(_:)``), with bounded memory: a file of any size can stream through.
    ///
    /// Nothing is committed when `feed` throws, when any event was refused (invalid, or an id that repeats
    /// an earlier event of the import or one already in the store), or when the process dies before the
    /// end; otherwise every event is committed with one durable commit.
    ///
    /// ```swift
    /// let count = try store.importEvents { importer in
    ///     for slice in slices { _ = try importer.add(slice) }
    /// }
    /// ```
    /// - Returns: the number of events imported.
    /// - Throws: the first refusal (``SyncEventStoreError/invalidRecord(_:)`` or
    ///   ``SyncEventStoreError/duplicateID(_:)``), what `feed` threw, or a storage failure; nothing was
    ///   written then. The LMDB map is reserved whole when the store opens (``Configuration/maximumMapSize``,
    ///   address space only); an import larger than that fails with
    ///   ``SyncEventStoreError/storageFull(limitBytes:)``.
    public func importEvents(_ feed: (EventImporter) throws -> Void) throws -> Int {
        try importEvents(flushThreshold: EventImporter.defaultFlushThreshold, feed)
    }

    func importEvents(flushThreshold: Int, _ feed: (EventImporter) throws -> Void) throws -> Int {
        do {
            switch backend {
            case .lmdb(let e): return try e.importEvents(flushThreshold: flushThreshold, feed)
            case .memory(let e): return try e.importEvents(flushThreshold: flushThreshold, feed)
            }
        } catch let refused as ImportRefused {
            throw refused.first
        } catch let error as SyncEventStoreError {
            throw error
        } catch let error as StorageError {
            throw SyncEventStoreError(error)
        }
    }
}
