import Dispatch

/// Runs the store's synchronous, durable writes on a dedicated serial dispatch queue, so that an
/// `fsync` never blocks an event loop or the cooperative thread pool.
///
/// ```swift
/// let writes = WriteQueue()
/// let event = try await writes.run { try store.retry(id: id) }
/// ```
public final class WriteQueue: Sendable {
    private let queue: DispatchQueue

    /// Creates a queue with its own thread (serial: the store has one writer at a time anyway).
    public init(label: String = "SyncEventStoreHTTP.writes") {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    /// Runs the writes on `queue`, which should be serial and reserved for blocking work.
    public init(queue: DispatchQueue) {
        self.queue = queue
    }

    /// Runs `body` on the queue and resumes the caller with its result once it returns.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
