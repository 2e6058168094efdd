import Testing
@testable import SyncEventStore

@Suite("Generator targets")
struct GeneratorTargetsTests {
    /// Fewer targets than instances (none at all, too): every instance is real and has events, and the
    /// instances without a target have events without a target.
    @Test(arguments: [0, 1, 3, 7])
    func fewerTargetsThanInstances(targets: Int) throws {
        let generator = EventGenerator(.init(events: 4_000, organizations: 2, instances: 8, targets: targets, seed: 3))
        let events = Array(generator)
        for e in events { try e.validate() }
        let instances = generator.instances.map(\.id)
        #expect(Set(events.map(\.connectorInstanceId)) == Set(instances))
        #expect(Set(events.compactMap(\.connectorTargetId)).count == targets)
        for (index, instance) in instances.enumerated() {
            let ofInstance = events.filter { $0.connectorInstanceId == instance }
            if index >= targets {
                #expect(ofInstance.allSatisfy { $0.connectorTargetId == nil && $0.remoteId == nil })
                #expect(ofInstance.allSatisfy { $0.eventType != .push && $0.eventType != .repository })
            } else {
                #expect(ofInstance.contains { $0.connectorTargetId != nil })
            }
        }
        #expect(Array(EventGenerator(generator.configuration)) == events)
    }
}
