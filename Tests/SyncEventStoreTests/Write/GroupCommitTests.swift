import Foundation
import Synchronization
import Testing
@testable import SyncEventStore

/// The async write API and its group commit: each caller gets its own outcome, the store ends as a
/// sequential run of the same writes leaves it, cancellation is honest, and readers never wait.
@Suite("Group commit")
struct GroupCommitTests {
    static let now: Int64 = 1_767_000_000_000

    /// One write of the mix, independent of every other (distinct ids and targets), so its outcome does
    /// not depend on the order in which the group commit applies it.
    enum Op: Sendable {
        case record(SyncEvent)
        case enqueue(target: TypeID, sha: String, org: TypeID, instance: TypeID, id: TypeID)
        case retry(TypeID)
        case delete(instance: TypeID, org: TypeID)

        /// The outcome as text, for comparing with the sequential run.
        func apply(_ store: SyncEventStore) throws -> String {
            switch self {
            case .record(let e):
                try store.record(e)
                return "recorded"
            case .enqueue(let target, let sha, let org, let instance, let id):
                let r = try store.enqueuePush(target: target, sha: sha, organization: org, instance: instance, id: id, now: ms(GroupCommitTests.now))
                if case .duplicate(let existing) = r { return "duplicate \(existing.id)" }
                return "enqueued \(r.event.id)"
            case .retry(let id):
                return "retried \(try store.retry(id: id, now: ms(GroupCommitTests.now)).id)"
            case .delete(let instance, let org):
                return "deleted \(try store.deleteEvents(ofInstance: instance, in: org))"
            }
        }

        func applyAsync(_ store: SyncEventStore) async throws -> String {
            switch self {
            case .record(let e):
                try await store.async.record(e)
                return "recorded"
            case .enqueue(let target, let sha, let org, let instance, let id):
                let r = try await store.async.enqueuePush(target: target, sha: sha, organization: org, instance: instance, id: id, now: ms(GroupCommitTests.now))
                if case .duplicate(let existing) = r { return "duplicate \(existing.id)" }
                return "enqueued \(r.event.id)"
            case .retry(let id):
                return "retried \(try await store.async.retry(id: id, now: ms(GroupCommitTests.now)).id)"
            case .delete(let instance, let org):
                return "deleted \(try await store.async.deleteEvents(ofInstance: instance, in: org))"
            }
        }
    }

    static func outcome(_ body: () throws -> String) -> String {
        do { return try body() } catch { return "error \(SyncEventStoreError(error))" }
    }

    /// A seed of stored events, and `count` operations mixing valid and invalid writes.
    static func plan(count: Int) -> (seed: [SyncEvent], ops: [Op]) {
        var f = Fixtures(seed: 11)
        let org = f.id(.organization)
        var seed: [SyncEvent] = []
        var ops: [Op] = []
        for i in 0..<count {
            let instance = f.id(.connectorInstance)
            let target = f.id(.connectorTarget)
            switch i % 7 {
            case 0:  // valid new record
                ops.append(.record(f.event(org: org, instance: instance, target: target, startedAt: now - Int64(i))))
            case 1:  // invalid record: an empty externalEventRef
                var e = f.event(org: org, instance: instance, target: target)
                e.externalEventRef = ""
                ops.append(.record(e))
            case 2:  // a record whose id is already stored
                let stored = f.event(org: org, instance: instance, target: target, startedAt: now - Int64(i))
                seed.append(stored)
                var again = f.event(org: org, instance: instance)
                again.id = stored.id
                ops.append(.record(again))
            case 3:  // a new push
                ops.append(.enqueue(target: target, sha: "sha\(i)", org: org, instance: instance, id: f.id(.event)))
            case 4:  // a push already queued for that target and SHA
                let existing = f.event(org: org, instance: instance, target: target, startedAt: now - Int64(i), status: .queued, eventType: .push)
                seed.append(existing)
                ops.append(.enqueue(target: target, sha: existing.sourceRevisionRef!, org: org, instance: instance, id: f.id(.event)))
            case 5:  // retry of a stored event, or of an unknown one
                if i % 2 == 0 {
                    let stored = f.event(org: org, instance: instance, target: target, startedAt: now - Int64(i), status: .failed)
                    seed.append(stored)
                    ops.append(.retry(stored.id))
                } else {
                    ops.append(.retry(f.id(.event)))
                }
            default:  // delete the events of an instance with two stored events
                seed.append(f.event(org: org, instance: instance, startedAt: now - Int64(i)))
                seed.append(f.event(org: org, instance: instance, startedAt: now - Int64(i) - 1))
                ops.append(.delete(instance: instance, org: org))
            }
        }
        return (seed, ops)
    }

    @Test(arguments: Backend.allCases)
    func hundredsOfConcurrentWritersEachGetTheirOwnOutcome(backend: Backend) async throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        let (seed, ops) = Self.plan(count: 420)
        try store.record(contentsOf: seed)

        // The sequential model: the same writes one by one, through the synchronous API.
        let model = SyncEventStore.inMemory()
        defer { model.close() }
        try model.record(contentsOf: seed)
        let expected = ops.map { op in Self.outcome { try op.apply(model) } }

        let got = await withTaskGroup(of: (Int, String).self) { group in
            for (i, op) in ops.enumerated() {
                group.addTask {
                    do { return (i, try await op.applyAsync(store)) } catch { return (i, "error \(SyncEventStoreError(error))") }
                }
            }
            var got = [String](repeating: "", count: ops.count)
            for await (i, text) in group { got[i] = text }
            return got
        }
        #expect(got == expected)
        #expect(Set(expected.map { $0.prefix(5) }).count >= 5, "the mix has successes and several kinds of errors")
        #expect(try store.allRecords() == model.allRecords())
        #expect(try store.verifyIndexes().isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func aCancelledCallerIsToldWhetherItsWriteHappened(backend: Backend) async throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var f = Fixtures(seed: 5)
        let org = f.id(.organization)
        let instance = f.id(.connectorInstance)
        let gate = Gate()
        store.committer.setGroupHook { gate.pass() }

        // The first write is taken into a group, which then waits at the gate.
        let first = f.event(org: org, instance: instance)
        let inFlight = Task { try await store.async.record(first) }
        try await gate.waitUntilHeld()
        // These wait in the queue behind it.
        let queued = (0..<40).map { _ in f.event(org: org, instance: instance) }
        let waiting = queued.map { e in Task { try await store.async.record(e) } }
        while store.committer.waitingCount < queued.count { try await Task.sleep(for: .milliseconds(1)) }
        inFlight.cancel()
        for task in waiting { task.cancel() }
        store.committer.setGroupHook(nil)
        gate.open()

        // The write already in a transaction ran to its end and says so; the waiting ones were dropped.
        try await inFlight.value
        #expect(try store.event(id: first.id) == first)
        for (task, e) in zip(waiting, queued) {
            let result = await task.result
            let stored = try store.event(id: e.id) != nil
            switch result {
            case .success: #expect(stored)
            case .failure(let error):
                #expect(error is CancellationError)
                #expect(!stored)
            }
        }
        #expect(try store.count == 1)
        // Later writes work as usual.
        let later = f.event(org: org, instance: instance)
        try await store.async.record(later)
        #expect(try store.event(id: later.id) == later)
    }

    @Test(arguments: Backend.allCases)
    func readersNeverWaitForAGroupCommitInFlight(backend: Backend) async throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var f = Fixtures(seed: 6)
        let org = f.id(.organization)
        let instance = f.id(.connectorInstance)
        let before = f.event(org: org, instance: instance)
        try store.record(before)
        let gate = Gate()
        store.committer.setGroupHook { gate.pass() }
        let e = f.event(org: org, instance: instance)
        let write = Task { try await store.async.record(e) }
        try await gate.waitUntilHeld()

        // The group's transaction is open and stalled: reads answer at once, from the last commit.
        let done = Flag()
        let reader = Task.detached {
            defer { done.set() }
            return (try store.count, try store.event(id: before.id), try store.event(id: e.id),
                    try store.listResponse(query: [], as: .admin(organization: org)).status)
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while !done.value && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        let answered = done.value
        #expect(answered, "a read waited for the stalled group commit")
        store.committer.setGroupHook(nil)
        gate.open()
        try await write.value
        let (count, old, new, status) = try await reader.value
        #expect(count == 1)
        #expect(old == before)
        #expect(new == nil)
        #expect(status == 200)
        #expect(try store.event(id: e.id) == e)
    }
}

/// A gate the writer thread stops at inside a group commit, until the test opens it.
final class Gate: Sendable {
    private let state = Mutex<(held: Bool, open: Bool)>((false, false))

    /// Called on the writer thread: waits (blocking that thread only) until the gate opens.
    func pass() {
        state.withLock { $0.held = true }
        while !state.withLock({ $0.open }) { usleep(1000) }
    }

    func open() { state.withLock { $0.open = true } }

    func waitUntilHeld() async throws {
        while !state.withLock({ $0.held }) { try await Task.sleep(for: .milliseconds(1)) }
    }
}
