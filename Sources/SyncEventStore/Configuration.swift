/// How a store is opened.
public struct Configuration: Sendable {
    /// When a commit reaches the disk.
    public enum Durability: Sendable {
        /// Every commit is flushed (fsync) before it returns. The default.
        case durable
        /// Commits are not flushed: a process crash loses nothing, an operating-system crash or power
        /// loss may lose the latest commits (never the store's consistency). Much faster single writes.
        case relaxed
    }

    /// When commits reach the disk. Default ``Durability/durable``.
    public var durability: Durability = .durable
    /// The LMDB map size to start with; it grows automatically when full. Default 1 MiB.
    public var initialMapSize: Int = 1 << 20
    /// The size the map never grows past; a write beyond it fails with
    /// ``SyncEventStoreError/storageFull(limitBytes:)``. Default 1 TiB.
    public var maximumMapSize: Int = 1 << 40
    /// Concurrent read transactions allowed (LMDB reader slots). Default 512.
    public var maximumReaders: Int = 512
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

    /// The default configuration.
    public init() {}
}
