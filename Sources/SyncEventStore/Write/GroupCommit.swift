import Foundation

/// The engine of the async write API: writes from concurrent callers wait in one FIFO queue; a writer
/// thread takes what is waiting (up to ``maximumGroup``) and applies it in one transaction with one
/// durable commit, each write nested so that a write that throws is undone alone. Callers are resumed
/// only after the commit that covers their write returned (after its `fsync` on a durable store).
///
/// Fairness: writes are taken in arrival order, so a write waits for at most the groups of the writes
/// queued before it. Readers never wait: they never take the writer's lock.
final class GroupCommitter: @unchecked Sendable {  // mutable state behind `condition`
    /// Most writes applied in one transaction.
    static let maximumGroup = 512

    /// One queued write: `run` applies it (inside the group's transaction) and keeps its outcome;
    /// `resume` hands the outcome to its caller, or `commitFailed` the group's failure.
    final class Job: @unchecked Sendable {  // touched by the caller before queueing, then by the writer only
        let id: UInt64
        let run: () -> Void
        let resume: (_ commitError: (any Error)?) -> Void
        let cancel: () -> Void
        init(
            id: UInt64, run: @escaping () -> Void, resume: @escaping ((any Error)?) -> Void,
            cancel: @escaping () -> Void
        ) {
            self.id = id
            self.run = run
            self.resume = resume
            self.cancel = cancel
        }
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var head = 0
    private var nextID: UInt64 = 0
    private var thread: Thread?
    private var stopped = false
    private let commit: (() -> Void) throws -> Void
    /// Called on the writer thread inside each group's transaction, before its writes (tests pause it).
    private var groupHook: (@Sendable () -> Void)?

    /// - Parameter commit: runs its argument in one write transaction and commits it (`writeGroup`).
    init(commit: @escaping (() -> Void) throws -> Void) {
        self.commit = commit
    }

    /// Writes waiting to be taken into a group.
    var waitingCount: Int { condition.withLock { queue.count - head } }

    /// Tests: `hook` runs on the writer thread inside each later group's transaction, before its writes.
    func setGroupHook(_ hook: (@Sendable () -> Void)?) { condition.withLock { groupHook = hook } }

    /// Applies `body` in the next group commit and returns its result once that commit is durable.
    ///
    /// - Throws: what `body` threw (nothing of it was written), the commit's error (nothing of the group
    ///   was written), or `CancellationError` when the task was cancelled before the write was taken into
    ///   a group (it was not written). A write already taken into a group runs to its end: its caller is
    ///   told its outcome even when cancelled meanwhile.
    func submit<R: Sendable>(_ body: @escaping @Sendable () throws -> R) async throws -> R {
        try Task.checkCancellation()
        let box = OutcomeBox<R>()
        let id = condition.withLock { () -> UInt64 in
            nextID &+= 1
            return nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<R, any Error>) in
                let job = Job(
                    id: id, run: { box.outcome = Result { try body() } },
                    resume: { commitError in
                        switch (box.outcome, commitError) {
                        case (.failure(let own)?, _): continuation.resume(throwing: own)
                        case (_, let commitError?): continuation.resume(throwing: commitError)
                        case (let outcome?, nil): continuation.resume(with: outcome)
                        case (nil, nil): continuation.resume(throwing: StorageError.closed)
                        }
                    },
                    cancel: { continuation.resume(throwing: CancellationError()) })
                enqueue(job)
            }
        } onCancel: {
            cancelIfWaiting(id)
        }
    }

    private func enqueue(_ job: Job) {
        condition.lock()
        if stopped {
            condition.unlock()
            job.resume(StorageError.closed)
            return
        }
        queue.append(job)
        if thread == nil {
            let t = Thread { self.loop() }
            t.name = "SyncEventStore group commit"
            thread = t
            t.start()
        }
        condition.signal()
        condition.unlock()
    }

    /// Removes a write that is still waiting and tells its caller it was cancelled.
    private func cancelIfWaiting(_ id: UInt64) {
        condition.lock()
        var removed: Job?
        if let i = queue[head...].firstIndex(where: { $0.id == id }) { removed = queue.remove(at: i) }
        condition.unlock()
        removed?.cancel()
    }

    private func takeGroup() -> (jobs: [Job], hook: (@Sendable () -> Void)?)? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count && !stopped { condition.wait() }
        if head == queue.count { return nil }
        let end = min(queue.count, head + GroupCommitter.maximumGroup)
        let jobs = Array(queue[head..<end])
        head = end
        if head > 1024 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return (jobs, groupHook)
    }

    private func loop() {
        while let (jobs, hook) = takeGroup() {
            var failure: (any Error)?
            do {
                try commit {
                    hook?()
                    for job in jobs { job.run() }
                }
            } catch {
                failure = error
            }
            for job in jobs { job.resume(failure) }
        }
    }

    /// Stops the writer thread after the writes already queued; later writes fail with `closed`.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}

/// The outcome of one queued write, written by the writer thread before its caller is resumed.
final class OutcomeBox<R>: @unchecked Sendable {  // written once by the writer, read after the resume
    var outcome: Result<R, any Error>?
}
