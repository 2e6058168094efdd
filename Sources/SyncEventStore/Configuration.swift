/// How a store is opened.
public struct Configuration: Sendable {
    /// When a commit reaches the disk.
    public enum Durability: Sendable {
        /// Every commit is flushed (fsync) before it returns. The default.
        case durable
        /// Commits are not flushed (LMDB's `MDB_NOSYNC`). Much faster single writes. What this gives,
        /// exactly as LMDB states it:
        /// - a crash of the process loses nothing: every commit is in the operating system's cache;
        /// - an operating-system crash or power loss may lose the latest commits, and keeps the store
        ///   consistent **only if the file system preserves the order of writes** (LMDB's words: "if
        ///   the filesystem preserves write order ... transactions exhibit ACI properties and only lose
        ///   D"); on one that does not, such a crash can corrupt the store. Then `verify` or opening
        ///   reports the damage, and the cure is a backup. Use ``durable`` for data you cannot rebuild.
        case relaxed
    }

    /// When commits reach the disk. Default ``Durability/durable``.
    public var durability: Durability = .durable
    /// Ignored; kept so that existing code compiles. The whole map (``maximumMapSize``) is reserved
    /// when the store opens, so it never has to grow while readers run.
    public var initialMapSize: Int = 1 << 20
    /// The LMDB map: reserved up front as virtual address space (the file grows only with its data,
    /// so a large value costs no disk or memory), and the size the store never grows past; a write
    /// beyond it fails with ``SyncEventStoreError/storageFull(limitBytes:)``. Default 1 TiB. When
    /// another process opens the store with a larger map and fills it past this one, this process adopts
    /// the larger size.
    public var maximumMapSize: Int = 1 << 40
    /// Concurrent read transactions allowed (LMDB reader slots). Default 512.
    public var maximumReaders: Int = 512
    /// Hears about long work done when the store opens: upgrading an older format, or rebuilding the
    /// search index because it was made with other Unicode tables than this build's. `nil`: silent.
    public var progress: (@Sendable (String) -> Void)?
    /// The rules records must keep.
    public var limits = RecordLimits()

    /// Called (after the claim's commit, on the claiming thread) with the id of each record that
    /// ``SyncEventStore/claimDue(now:limit:lease:)`` found undecodable, and why. Such a record is
    /// quarantined: it leaves the claim queue so that it never stops work on the others, stays stored, and
    /// ``SyncEventStore/verifyIndexes(maximumProblems:)`` (`syncevents verify`) lists it. Default: none.
    public var onUndecodableRecord: (@Sendable (TypeID, String) -> Void)?

    /// Most `q` candidates taken from the search index before a page walk checks records instead
    /// (internal: tests lower it to exercise both paths).
    var searchCandidateLimit = 4096

    /// What a record read by the walk costs against a candidate taken from the search index (its list
    /// position looked up: measured at about twice a walk step, so 0.5); with the page size and the
    /// organization's size it raises the candidate limit in a large organization (see
    /// ``SearchIndex/candidateBudget(_:org:pageSize:floor:balance:)``). Internal: 0 keeps the limit fixed.
    var searchBalance = 0.5

    /// The default configuration.
    public init() {}
}
