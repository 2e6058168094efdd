import Dispatch
import SyncEventStoreHTTP
import Testing

@Suite struct WriteQueueTests {
    /// The write runs on the queue, not on the calling task's (cooperative) thread, and its result or
    /// error comes back to the caller.
    @Test func writesRunOnTheDedicatedQueue() async throws {
        let key = DispatchSpecificKey<String>()
        let dispatchQueue = DispatchQueue(label: "test.writes")
        dispatchQueue.setSpecific(key: key, value: "writes")
        let queue = WriteQueue(queue: dispatchQueue)
        #expect(DispatchQueue.getSpecific(key: key) == nil)
        let seen = try await queue.run { DispatchQueue.getSpecific(key: key) }
        #expect(seen == "writes")
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await queue.run { throw Refused() } }
    }
}
