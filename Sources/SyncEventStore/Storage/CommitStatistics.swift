import Synchronization

/// What the store's write transactions have cost at commit since it was opened: how many committed and
/// the time spent committing them (for LMDB, writing the transaction's dirty pages to the file and, with
/// durable commits, the `fsync`s; in memory, publishing the new state).
///
/// Export it to your metrics, or subtract it to tell a write's own work from its commit:
///
/// ```swift
/// let before = store.commitStatistics
/// _ = try store.claimDue(limit: 10)
/// let commitTime = store.commitStatistics.commitTime - before.commitTime
/// ```
public struct CommitStatistics: Sendable, Equatable {
    /// Write transactions committed (a group commit counts once).
    public var commits: Int
    /// The time spent in those commits.
    public var commitTime: Duration

    /// Statistics with these figures.
    public init(commits: Int = 0, commitTime: Duration = .zero) {
        self.commits = commits
        self.commitTime = commitTime
    }
}

/// The running totals behind ``CommitStatistics``, updated by the engine that commits.
final class CommitCounter: Sendable {
    private let commits = Atomic<Int>(0)
    private let nanoseconds = Atomic<Int64>(0)

    /// Runs `commit` and adds one commit and its duration to the totals (whether it succeeds or not).
    @inline(__always)
    func timed<R>(_ commit: () throws -> R) rethrows -> R {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            let (seconds, attoseconds) = elapsed.components
            nanoseconds.add(seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000, ordering: .relaxed)
            commits.add(1, ordering: .relaxed)
        }
        return try commit()
    }

    /// The totals so far.
    var statistics: CommitStatistics {
        CommitStatistics(
            commits: commits.load(ordering: .relaxed),
            commitTime: .nanoseconds(nanoseconds.load(ordering: .relaxed)))
    }
}
