import Foundation
import Testing
import SyncEventStore

/// The README's usage example, kept compiling and running.
@Suite("README example")
struct ReadmeExampleTests {
    @Test func exampleRuns() throws {
        let dir = TemporaryDirectory()
        let store = try SyncEventStore.open(at: dir.sub("sync-events"))  // or SyncEventStore.inMemory()
        let org = TypeID.generate(.organization), instance = TypeID.generate(.connectorInstance)
        let target = TypeID.generate(.connectorTarget)
        try store.enqueuePush(target: target, sha: "9fceb02d0ae598e95dc970b74767f19372d61af8",
                              organization: org, instance: instance, remoteId: "acme/widgets", deliveryId: "72d3162e")
        for claim in try store.claimDue(limit: 10, lease: .seconds(300)) {
            // ... sync claim.event, calling store.extendLease(claim, by: .seconds(300)) as a heartbeat ...
            try store.finish(claim, as: .completed, summary: ["createdCount": .number(.integer(3))])
        }
        let page = try store.listResponse(query: [QueryItem(name: "status", value: "completed")],
                                          as: .admin(organization: org))
        #expect(page.status == 200)
        #expect(page.itemCount == 1)
        #expect(String(decoding: page.body, as: UTF8.self).hasSuffix(#""nextCursor":null}"#))
        store.close()
    }

    @Test func asyncAndImportExamplesRun() async throws {
        let dir = TemporaryDirectory()
        let store = try SyncEventStore.open(at: dir.sub("sync-events"))
        let org = TypeID.generate(.organization), instance = TypeID.generate(.connectorInstance)
        let target = TypeID.generate(.connectorTarget)
        let queued = try await store.async.enqueuePush(target: target, sha: "3f786850e387550fdab836ed7e6dc881de23001b",
                                                       organization: org, instance: instance)
        #expect(queued.event.status == .queued)
        let events = Array(EventGenerator(events: 300, seed: 3))
        let slices = [events[0..<100], events[100..<300]]
        let count = try store.importEvents { importer in
            for slice in slices { _ = try importer.add(slice) }
        }
        #expect(count == 300)
        #expect(try store.count == 301)
        store.close()
    }
}
