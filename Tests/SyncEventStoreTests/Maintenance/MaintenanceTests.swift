import Foundation
import Testing
@testable import SyncEventStore

/// The generator and the maintenance API (export walk, statistics, verification, backup) on both backends.
@Suite("Maintenance")
struct MaintenanceTests {
    @Test func generatorIsDeterministicWithUniqueValidIDs() throws {
        let config = EventGenerator.Configuration(events: 20_000, organizations: 4, instances: 9, targets: 30, seed: 5)
        let a = Array(EventGenerator(config))
        let b = Array(EventGenerator(config))
        #expect(a == b)
        #expect(Set(a.map(\.id)).count == a.count)
        for e in a { try e.validate() }
        #expect(Set(a.map(\.organizationId)).count == 4)
        #expect(Set(a.map(\.connectorInstanceId)).count == 9)
        #expect(a.allSatisfy { $0.startedAt < config.endingAt })
        #expect(a.allSatisfy { $0.startedAt.millisecondsSince1970 >= config.endingAt.millisecondsSince1970 - 90 * 86_400_000 })
        let queued = a.filter { $0.status == .queued }
        #expect(queued.allSatisfy { ($0.attemptCount > 0) == ($0.nextAttemptAt != nil) && $0.completedAt == nil })
        #expect(a.filter { $0.status == .failed }.allSatisfy { $0.attemptCount > 0 && $0.completedAt != nil })
        var bytes: [UInt8] = []
        var generator = EventGenerator(config)
        generator.writeNDJSON(bufferSize: 4096) { bytes += $0 }
        #expect(bytes == a.flatMap { $0.ndjsonLine + [UInt8(ascii: "\n")] })
    }

    @Test(arguments: Backend.allCases)
    func exportStatisticsVerifyAndBackup(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        let generator = EventGenerator(.init(events: 1_000, organizations: 3, instances: 6, targets: 20, seed: 2))
        let org = generator.organizations[1]
        let events = Array(generator)
        try store.record(contentsOf: events)

        var walked: [SyncEvent] = []
        try store.forEachEvent { walked.append($0); return true }
        #expect(walked == events.sorted { $0.id < $1.id })
        var ofOrg: [SyncEvent] = []
        try store.forEachEvent(organization: org) { ofOrg.append($0); return true }
        #expect(ofOrg == walked.filter { $0.organizationId == org })
        var firstTen = 0
        try store.forEachEvent { _ in firstTen += 1; return firstTen < 10 }
        #expect(firstTen == 10)

        let stats = try store.statistics()
        #expect(stats.events == 1_000)
        #expect(stats.byStatus.values.reduce(0, +) == 1_000)
        #expect(stats.byStatus[.failed] == events.filter { $0.status == .failed }.count)
        #expect(stats.byEventType[.push] == events.filter { $0.eventType == .push }.count)
        #expect(stats.organizations.map(\.id) == generator.organizations.sorted())
        #expect(stats.organizations.first { $0.id == org }?.events == ofOrg.count)
        #expect(stats.indexes.first { $0.name == "organization" }?.entries == 1_000)
        #expect(stats.indexes.map(\.entries).reduce(0, +) == stats.tables.first { $0.name == "indexes" }?.entries)
        #expect(stats.sizeInBytes > 0)

        #expect(try store.verifyIndexes() == [])
        try store.backup(to: dir.sub("backup"))
        let copy = try SyncEventStore.open(at: dir.sub("backup"))
        defer { copy.close() }
        #expect(try copy.count == 1_000)
        #expect(try copy.verifyIndexes() == [])
        #expect(throws: SyncEventStoreError.self) { try store.backup(to: dir.sub("backup")) }
    }
}
