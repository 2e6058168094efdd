import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where `write` finds the open transaction of a group commit (``KeyValueStorage/writeGroup(_:)``).
///
/// The slot answers only on the thread that runs the group: there a `write` becomes a nested transaction
/// of the group's one transaction; every other thread's `write` waits for the writer lock as usual.
final class GroupTransactionSlot<T: AnyObject>: @unchecked Sendable {  // state behind `lock`; `needsGrowth` owner-only
    private struct State {
        var owner: pthread_t
        var txn: T
    }

    private let lock = Mutex(())
    private var state: State?
    /// Set by a nested write that filled the map: the group is aborted, the map grown, the group run again.
    var needsGrowth = false

    /// The innermost open transaction of the group, when the calling thread runs one.
    func current() -> T? {
        lock.withLock { _ in
            guard let s = state, pthread_equal(s.owner, pthread_self()) != 0 else { return nil }
            return s.txn
        }
    }

    /// Opens the group on the calling thread with its outermost transaction.
    func open(_ txn: T) {
        lock.withLock { _ in state = State(owner: pthread_self(), txn: txn) }
        needsGrowth = false
    }

    /// Makes `txn` (a nested transaction) the one later writes nest into.
    func enter(_ txn: T) { lock.withLock { _ in state?.txn = txn } }

    /// Back to `parent` when a nested transaction ends.
    func leave(_ parent: T) { enter(parent) }

    /// Closes the group. - Returns: whether the map must grow before the group is run again.
    func close() -> Bool {
        lock.withLock { _ in state = nil }
        return needsGrowth
    }
}
