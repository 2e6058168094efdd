import Testing

@testable import SyncEventStore

/// A page of one target and one event type (`connectorTargetId` + `eventType`) walks the target's entries,
/// which carry the event type: records of other types are passed over unread. Counted in records read
/// (never timed), against the reference model, on both engines and both write paths (one by one, and the
/// bulk path of 32 events or more).
@Suite struct TargetEventTypePlanTests {
    /// One target with 400 events of mixed types (about a quarter each), mixed in time with 200 events of
    /// another target and 200 without one.
    static func events(seed: UInt64) -> (events: [SyncEvent], org: TypeID, target: TypeID) {
        var f = Fixtures(seed: seed)
        let org = f.id(.organization)
        let instance = f.id(.connectorInstance)
        let target = f.id(.connectorTarget)
        let other = f.id(.connectorTarget)
        let types = EventType.allCases
        var events: [SyncEvent] = []
        for i in 0..<800 {
            let t: TypeID? = i % 4 == 1 ? other : (i % 4 == 3 ? nil : target)
            let type = types[Int(f.random.next() % UInt64(types.count))]
            events.append(f.event(org: org, instance: instance, target: t, startedAt: 1_767_000_000_000 + Int64(i % 300), eventType: type))
        }
        return (events, org, target)
    }

    /// Every page of every type, paged to the end: the pages are the model's, and each reads at most one
    /// record past its events.
    func checkPages(_ store: SyncEventStore, _ model: ListReferenceModel, org: TypeID, target: TypeID, exactReads: Bool) throws {
        let viewer = Viewer.admin(organization: org)
        for type in EventType.allCases {
            let expected = model.matching(ListRequest(connectorTargetId: target, eventType: type), viewer)
            #expect(expected.count > 40, "\(type)")
            var seen: [TypeID] = []
            var cursor: String?
            repeat {
                let request = ListRequest(cursor: cursor, limit: 17, connectorTargetId: target, eventType: type)
                let page = try store.list(request, as: viewer)
                let reads = try store.recordsRead(listing: request, as: viewer)
                if exactReads {
                    #expect(reads <= page.events.count + 1, "\(type): \(reads) records read for \(page.events.count)")
                } else {
                    #expect(reads >= page.events.count)
                }
                seen += page.events.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == expected.map(\.id), "\(type)")
        }
    }

    @Test(arguments: Backend.allCases, [true, false])
    func aTargetAndTypePageReadsOnlyThatType(backend: Backend, bulk: Bool) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        let (events, org, target) = Self.events(seed: bulk ? 41 : 42)
        if bulk {
            try store.record(contentsOf: events)
        } else {
            for e in events { try store.record(e) }
        }
        var model = ListReferenceModel()
        for e in events { model.events[e.id] = e }
        try checkPages(store, model, org: org, target: target, exactReads: true)
        #expect(try store.verifyIndexes().isEmpty)
    }

    /// An event whose type changes in place moves its entry's value along. Entries written before they
    /// carried the event type (empty values) still give exact pages: their records are checked. A wrong
    /// value is a problem `verify` names.
    @Test(arguments: Backend.allCases)
    func entriesWithoutTheTypeAndRetypedEvents(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        let (events, org, target) = Self.events(seed: 43)
        try store.record(contentsOf: events)
        var model = ListReferenceModel()
        for e in events { model.events[e.id] = e }
        // Retype ten events of the target in place (no public call does; the write path must follow).
        let retyped = events.filter { $0.connectorTargetId == target }.prefix(10).map { e -> SyncEvent in
            var e = e
            e.eventType = e.eventType == .push ? .manualResync : .push
            return e
        }
        try store.write { txn in
            for e in retyped { try txn.storeRecord(e) }
        }
        for e in retyped { model.events[e.id] = e }
        try checkPages(store, model, org: org, target: target, exactReads: true)
        #expect(try store.verifyIndexes().isEmpty)

        let prefix = IndexKey.prefix(.target, org.bytes, target.bytes)
        // As an older store holds them: no values.
        try store.write { txn in
            var keys: [[UInt8]] = []
            try txn.forEachKey(withPrefix: prefix) { key in
                keys.append(Array(key))
                return true
            }
            #expect(keys.count > 300)
            for k in keys { try txn.put(.indexes, k, []) }
        }
        try checkPages(store, model, org: org, target: target, exactReads: false)
        #expect(try store.verifyIndexes().isEmpty)

        // A value naming the wrong type is reported.
        let first = retyped[0]
        let key = IndexKey.prefix(.target, org.bytes, target.bytes) + {
            var order: [UInt8] = []
            IndexKey.appendOrder(startedAt: first.startedAt.millisecondsSince1970, id: first.id, to: &order)
            return order
        }()
        try store.write { txn in try txn.put(.indexes, key, [first.eventType == .push ? EventType.manualResync.code : EventType.push.code]) }
        let problems = try store.verifyIndexes()
        #expect(problems.contains { $0.contains("connectorTarget index entry") && $0.contains("wrong value") }, "\(problems)")
    }
}
