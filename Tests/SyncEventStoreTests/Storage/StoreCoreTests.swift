import Foundation
import Synchronization
import Testing
@testable import SyncEventStore

@Suite("Store core")
struct StoreCoreTests {
    @Test(arguments: Backend.allCases)
    func recordsAndReadsBackEveryField(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var f = Fixtures(seed: 7)
        let org = f.id(.organization)
        let full = try SyncEventJSONTests.event()
        var unicode = f.event(org: org, instance: f.id(.connectorInstance), target: f.id(.connectorTarget))
        unicode.externalEventRef = "ΑΣ Δelivery 😀 İ"
        unicode.sourceRevisionRef = "ÀBC\u{0}\n\t"
        unicode.remoteId = "组织/仓库"
        unicode.completedAt = Timestamp(millisecondsSince1970: unicode.startedAt.millisecondsSince1970 + 5)
        unicode.nextAttemptAt = Timestamp(millisecondsSince1970: 1)
        unicode.attemptCount = 3
        var empty = f.event(org: org, instance: f.id(.connectorInstance))
        empty.summaryJson = JSONObject()
        var nulls = f.event(org: org, instance: f.id(.connectorInstance))
        nulls.summaryJson = nil
        nulls.remoteId = nil
        nulls.externalEventRef = nil
        nulls.sourceRevisionRef = nil
        nulls.connectorTargetId = nil
        let events = [full, unicode, empty, nulls]
        try store.record(contentsOf: events)
        for e in events {
            #expect(try store.event(id: e.id) == e)
        }
        #expect(try store.count == 4)
        #expect(try store.event(id: f.id(.event)) == nil)
        #expect(throws: SyncEventStoreError.duplicateID(full.id)) { try store.record(full) }
    }

    /// `commitStatistics` counts each committed write transaction once, and nothing for reads or for
    /// writes that threw (rolled back).
    @Test(arguments: Backend.allCases)
    func commitStatisticsCountCommittedWritesOnly(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var f = Fixtures(seed: 11)
        let org = f.id(.organization)
        let first = f.event(org: org, instance: f.id(.connectorInstance))
        let start = store.commitStatistics
        try store.record(first)
        let afterOne = store.commitStatistics
        #expect(afterOne.commits == start.commits + 1)
        #expect(afterOne.commitTime > start.commitTime)
        try store.record(contentsOf: (0..<5).map { _ in f.event(org: org, instance: f.id(.connectorInstance)) })
        #expect(store.commitStatistics.commits == afterOne.commits + 1)
        let beforeReads = store.commitStatistics
        _ = try store.event(id: first.id)
        _ = try store.count
        #expect(throws: SyncEventStoreError.duplicateID(first.id)) { try store.record(first) }
        #expect(store.commitStatistics == beforeReads)
    }

    @Test func reopenKeepsEverything() throws {
        let dir = TemporaryDirectory()
        var f = Fixtures(seed: 8)
        let org = f.id(.organization)
        let instance = f.id(.connectorInstance)
        let events = (0..<500).map { i in f.event(org: org, instance: instance, startedAt: 1_700_000_000_000 + Int64(i)) }
        do {
            let store = try SyncEventStore.open(at: dir.sub("s"))
            try store.record(contentsOf: events[..<250])
            for e in events[250...] { try store.record(e) }
            store.close()
            #expect(throws: SyncEventStoreError.closed) { try store.count }
        }
        let store = try SyncEventStore.open(at: dir.sub("s"))
        defer { store.close() }
        #expect(try store.count == 500)
        for e in events { #expect(try store.event(id: e.id) == e) }
    }

    @Test(arguments: Backend.allCases)
    func invalidRecordRejectsTheWholeBatch(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var f = Fixtures(seed: 9)
        let org = f.id(.organization)
        let first = f.event(org: org, instance: f.id(.connectorInstance))
        try store.record(first)
        var batch = (0..<100).map { _ in f.event(org: org, instance: f.id(.connectorInstance)) }
        batch[57].sourceRevisionRef = ""
        let rejection = Result { () throws(SyncEventStoreError) in try store.record(contentsOf: batch) }
        guard case .failure(.invalidRecord(let e)) = rejection else {
            Issue.record("the batch was not rejected as invalid: \(rejection)")
            return
        }
        #expect(e.field == "sourceRevisionRef")
        #expect(e.index == 57)
        // A duplicate id found only inside the write transaction also leaves nothing behind.
        batch[57].sourceRevisionRef = "abc"
        batch[99] = first
        #expect(throws: SyncEventStoreError.duplicateID(first.id)) { try store.record(contentsOf: batch) }
        #expect(try store.count == 1)
        for e in batch.dropLast() { #expect(try store.event(id: e.id) == nil) }
    }

    /// A million small records written through a store whose map starts at 1 MiB: the map must grow.
    @Test(arguments: Backend.allCases)
    func millionRecordsGrowTheMap(backend: Backend) throws {
        let dir = TemporaryDirectory()
        var configuration = Configuration()
        configuration.initialMapSize = 1 << 20
        configuration.durability = .relaxed
        let store = try makeStore(backend, dir, configuration: configuration)
        defer { store.close() }
        let org = TypeID(prefix: .organization, high: 1, low: 1)
        let instance = TypeID(prefix: .connectorInstance, high: 2, low: 2)
        let total = 1_000_000
        let batch = 100_000
        for b in 0..<(total / batch) {
            let events = (0..<batch).map { i -> SyncEvent in
                let n = UInt64(b * batch + i)
                return SyncEvent(
                    id: TypeID(prefix: .event, high: n, low: n), organizationId: org,
                    connectorInstanceId: instance, eventType: .push, status: .completed,
                    startedAt: Timestamp(millisecondsSince1970: Int64(n)))
            }
            try store.record(contentsOf: events)
        }
        #expect(try store.count == total)
        let probe = UInt64(987_654)
        #expect(try store.event(id: TypeID(prefix: .event, high: probe, low: probe))?.startedAt.millisecondsSince1970 == 987_654)
    }

    /// Readers see only whole transactions: each write commits a batch that keeps an invariant
    /// (every batch adds 10 events of one instance), and readers check it on their snapshot.
    @Test(arguments: Backend.allCases)
    func concurrentReadersSeeWholeTransactions(backend: Backend) async throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        let org = TypeID(prefix: .organization, high: 1, low: 1)
        let done = Flag()
        let violations = Counter()
        let reads = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    while !done.value {
                        let n = try store.count
                        if n % 10 != 0 { violations.increment() }
                        reads.increment()
                        await Task.yield()
                    }
                }
            }
            group.addTask {
                defer { done.set() }
                var f = Fixtures(seed: 10)
                for _ in 0..<200 {
                    let instance = f.id(.connectorInstance)
                    try store.record(contentsOf: (0..<10).map { _ in f.event(org: org, instance: instance) })
                }
            }
            try await group.waitForAll()
        }
        #expect(violations.value == 0)
        #expect(reads.value > 0)
        #expect(try store.count == 2000)
    }
}

@Suite("Batch and single writes agree")
struct BatchWriteTests {
    /// The batch path (records and index keys written in key order, search postings gathered) leaves the
    /// same state as writing the events one by one: the same pages, and verify finds nothing.
    @Test(arguments: Backend.allCases)
    func batchEqualsOneByOne(backend: Backend) throws {
        let dirA = TemporaryDirectory()
        let dirB = TemporaryDirectory()
        let batched = try makeStore(backend, dirA)
        let single = try makeStore(backend, dirB)
        defer {
            batched.close()
            single.close()
        }
        var scenario = ListScenario(seed: 77)
        let events = (0..<400).map { _ in scenario.event() }
        try batched.record(contentsOf: events[..<200])
        try batched.record(contentsOf: events[200...])
        for e in events { try single.record(e) }
        #expect(try batched.verifyIndexes().isEmpty)
        #expect(try single.verifyIndexes().isEmpty)
        for _ in 0..<60 {
            let viewer = scenario.viewer()
            let request = scenario.request(for: viewer)
            #expect(try batched.list(request, as: viewer).events == single.list(request, as: viewer).events)
        }
    }
}
