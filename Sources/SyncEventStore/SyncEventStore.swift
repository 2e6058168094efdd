/// An embeddable store of connector sync events over LMDB, or in memory with the same code.
///
/// ```swift
/// let store = try SyncEventStore.open(at: "/var/lib/den/sync-events")
/// try store.record(event)
/// let again = try store.event(id: event.id)
/// ```
///
/// Every method is synchronous, thread-safe and short: call it from any thread or task. No transaction
/// outlives a call, so none is ever held across an `await`.
public final class SyncEventStore: Sendable {
    enum Backend: Sendable {
        case lmdb(Engine<LMDBStorage>)
        case memory(Engine<MemoryStorage>)
    }

    let backend: Backend
    /// The directory of an LMDB store, `nil` in memory.
    public let path: String?
    /// The configuration the store was opened with.
    public let configuration: Configuration

    /// The queue and writer thread of the async write API (``async``), started at its first write.
    let committer: GroupCommitter

    private init(backend: Backend, path: String?, configuration: Configuration) {
        self.backend = backend
        self.path = path
        self.configuration = configuration
        self.committer = GroupCommitter { run in
            switch backend {
            case .lmdb(let e): try e.storage.writeGroup(run)
            case .memory(let e): try e.storage.writeGroup(run)
            }
        }
    }

    deinit { committer.stop() }

    /// Opens (creating if needed) the durable store in the directory `path`.
    ///
    /// A path may be open only once per process; open it once and share the store.
    /// - Throws: ``SyncEventStoreError/alreadyOpen(path:)``, ``SyncEventStoreError/corrupted(_:)``, or
    ///   ``SyncEventStoreError/io(code:message:)``.
    public static func open(at path: String, configuration: Configuration = Configuration()) throws(SyncEventStoreError)
        -> SyncEventStore
    {
        try mapErrors {
            var options = LMDBOptions()
            options.maximumMapSize = max(configuration.maximumMapSize, 64 * 1024)
            options.maxReaders = UInt32(clamping: configuration.maximumReaders)
            options.durable = configuration.durability == .durable
            let storage = try LMDBStorage(path: path, configuration: options)
            do {
                let engine = try Engine(
                    storage: storage, limits: configuration.limits,
                    searchCandidateLimit: configuration.searchCandidateLimit, searchBalance: configuration.searchBalance,
                    onUndecodableRecord: configuration.onUndecodableRecord, progress: configuration.progress)
                return SyncEventStore(backend: .lmdb(engine), path: storage.path, configuration: configuration)
            } catch {
                storage.close()
                throw error
            }
        }
    }

    /// A new, empty store in memory: the same indexes and queries, no files.
    public static func inMemory(configuration: Configuration = Configuration()) -> SyncEventStore {
        // Creating the in-memory engine only writes its metadata to fresh maps, which cannot fail.
        let engine = try! Engine(storage: MemoryStorage(), limits: configuration.limits, searchCandidateLimit: configuration.searchCandidateLimit,
                                searchBalance: configuration.searchBalance, onUndecodableRecord: configuration.onUndecodableRecord, progress: configuration.progress)
        return SyncEventStore(backend: .memory(engine), path: nil, configuration: configuration)
    }

    /// Records one new event.
    /// - Throws: ``SyncEventStoreError/invalidRecord(_:)`` or ``SyncEventStoreError/duplicateID(_:)``;
    ///   nothing is written then.
    public func record(_ event: SyncEvent) throws(SyncEventStoreError) {
        try record(contentsOf: [event])
    }

    /// Records new events in one transaction: all of them, or none when any is invalid.
    public func record(contentsOf events: some Sequence<SyncEvent>) throws(SyncEventStoreError) {
        let events = Array(events)
        try mapErrors {
            switch backend {
            case .lmdb(let e): try e.record(events)
            case .memory(let e): try e.record(events)
            }
        }
    }

    /// The event with this id, or `nil`.
    public func event(id: TypeID) throws(SyncEventStoreError) -> SyncEvent? {
        try mapErrors {
            switch backend {
            case .lmdb(let e): return try e.event(id: id)
            case .memory(let e): return try e.event(id: id)
            }
        }
    }

    /// The number of events in the store.
    public var count: Int {
        get throws(SyncEventStoreError) {
            try mapErrors {
                switch backend {
                case .lmdb(let e): return try e.count()
                case .memory(let e): return try e.count()
                }
            }
        }
    }

    /// Commits of write transactions since the store was opened, and the time spent in them (see
    /// ``CommitStatistics``).
    public var commitStatistics: CommitStatistics {
        switch backend {
        case .lmdb(let e): return e.storage.commitStatistics
        case .memory(let e): return e.storage.commitStatistics
        }
    }

    /// Replaces the secret that authenticates page cursors with a new random one. Every cursor issued
    /// before is then refused with the usual 400 on `["cursor"]` (in every process: lists read the
    /// secret from the store). Use it when a cursor secret may have leaked.
    ///
    /// ```swift
    /// try store.rotateCursorSecret()
    /// ```
    public func rotateCursorSecret() throws(SyncEventStoreError) {
        try mapErrors {
            switch backend {
            case .lmdb(let e): try e.rotateCursorSecret()
            case .memory(let e): try e.rotateCursorSecret()
            }
        }
    }

    /// Closes the store. Later calls fail with ``SyncEventStoreError/closed``; closing twice is harmless.
    ///
    /// It waits for the reads and writes other threads have in flight, which finish whole. Called inside
    /// one of the store's own closures (``forEachEvent(organization:_:)``'s body, say), it cannot wait for
    /// that closure: it returns at once, the closure's walk goes on to its end, and the store closes as it
    /// ends.
    public func close() {
        committer.stop()
        switch backend {
        case .lmdb(let e): e.storage.close()
        case .memory(let e): e.storage.close()
        }
    }
}
