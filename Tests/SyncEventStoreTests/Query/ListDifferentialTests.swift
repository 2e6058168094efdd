import Testing
@testable import SyncEventStore

@Suite("List engine against the reference model")
struct ListDifferentialTests {
    /// Pages every request to the end through `nextCursor`; the concatenation equals the model's list.
    /// Seeds 11 and 12 use the `q` index; seed 13 caps its candidates at 5 so most `q` requests walk
    /// the other streams and check records instead (with the limit fixed: no raise for the organization's
    /// size).
    @Test(arguments: Backend.allCases, [UInt64(11), 12, 13])
    func pagingEqualsModel(backend: Backend, seed: UInt64) throws {
        let dir = TemporaryDirectory()
        var configuration = Configuration()
        if seed == 13 {
            configuration.searchCandidateLimit = 5
            configuration.searchBalance = 0
        }
        let store = try makeStore(backend, dir, configuration: configuration)
        defer { store.close() }
        var scenario = ListScenario(seed: seed)
        var model = ListReferenceModel()
        let events = (0..<600).map { _ in scenario.event() }
        try store.record(contentsOf: events)
        for e in events { model.events[e.id] = e }
        for _ in 0..<120 {
            let viewer = scenario.viewer()
            let request = scenario.request(for: viewer)
            let expected = model.matching(request, viewer)
            var got: [SyncEvent] = []
            var page = request
            var pages = 0
            while true {
                let result = try store.list(page, as: viewer)
                #expect(result.events.count <= request.limit)
                got += result.events
                pages += 1
                // The HTTP body of the same page is the events' JSON, in order.
                // (The HTTP form trims q, so only compare where trimming changes nothing.)
                if page.q.map({ JavaScriptText.trim($0) == $0 }) ?? true {
                    let response = try store.listResponse(query: items(page), as: viewer)
                    #expect(response.status == 200)
                    #expect(String(decoding: response.body, as: UTF8.self) == body(result))
                }
                guard let next = result.nextCursor else { break }
                #expect(result.events.count == request.limit)
                page.cursor = next
                if pages > 700 { break }
            }
            #expect(got.map(\.id) == expected.map(\.id), "\(request) as \(viewer)")
            #expect(got == expected)
        }
    }

    /// Members who see many instances: the walk starts organization-wide and checks visibility on records,
    /// and switches to the member's instance streams when few events are visible.
    @Test(arguments: Backend.allCases)
    func wideMembersEqualModel(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var scenario = ListScenario(seed: 61, instancesPerOrganization: 120)
        var model = ListReferenceModel()
        let events = (0..<1500).map { _ in scenario.event() }
        try store.record(contentsOf: events)
        for e in events { model.events[e.id] = e }
        for round in 0..<40 {
            let org = scenario.orgs[round % 3]
            let all = scenario.instances[org]!
            // Most instances visible, or just over the threshold out of many.
            var visible = Set(round % 2 == 0 ? all.dropFirst(round % 7) : all.prefix(33 + round % 5))
            if round % 4 == 3 {
                // Over the threshold, but few of the organization's events visible: the walk must switch.
                let other = scenario.instances[scenario.orgs[(round + 1) % 3]]!
                visible = Set(other.prefix(40)).union(all.prefix(2))
            }
            let viewer = Viewer.member(organization: org, visibleInstances: visible)
            var request = ListRequest(limit: 1 + round % 9)
            if round % 3 == 1 { request.status = EventStatus.allCases[round % 7] }
            if round % 5 == 2 { request.eventType = EventType.allCases[round % 5] }
            var got: [SyncEvent] = []
            var page = request
            while true {
                let result = try store.list(page, as: viewer)
                got += result.events
                guard let next = result.nextCursor else { break }
                page.cursor = next
            }
            #expect(got.map(\.id) == model.matching(request, viewer).map(\.id))
        }
    }

    func items(_ r: ListRequest) -> [QueryItem] {
        var items: [QueryItem] = []
        if let c = r.cursor { items.append(QueryItem(name: "cursor", value: c)) }
        items.append(QueryItem(name: "limit", value: String(r.limit)))
        if let v = r.connectorInstanceId { items.append(QueryItem(name: "connectorInstanceId", value: v.description)) }
        if let v = r.connectorTargetId { items.append(QueryItem(name: "connectorTargetId", value: v.description)) }
        if let v = r.eventType { items.append(QueryItem(name: "eventType", value: v.rawValue)) }
        if let v = r.status { items.append(QueryItem(name: "status", value: v.rawValue)) }
        if let v = r.q { items.append(QueryItem(name: "q", value: v)) }
        return items
    }

    func body(_ page: Page) -> String {
        let items = page.events.map { String(decoding: $0.jsonBytes, as: UTF8.self) }.joined(separator: ",")
        let next = page.nextCursor.map { "\"\($0)\"" } ?? "null"
        return "{\"items\":[\(items)],\"nextCursor\":\(next)}"
    }

    /// Inserts, retries (startedAt moves to now) and deletes between pages: every event that stayed in
    /// place is returned exactly once.
    @Test(arguments: Backend.allCases, [UInt64(21), 22])
    func pagingIsStableUnderWrites(backend: Backend, seed: UInt64) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var scenario = ListScenario(seed: seed)
        var model = ListReferenceModel()
        let initial = (0..<400).map { _ in scenario.event() }
        try store.record(contentsOf: initial)
        for e in initial { model.events[e.id] = e }
        var now: Int64 = 2_000
        for _ in 0..<25 {
            let viewer = scenario.viewer()
            var request = scenario.request(for: viewer)
            request.limit = 3 + request.limit
            let before = model.matching(request, viewer)
            var touched = Set<TypeID>()
            var seen: [TypeID] = []
            var page = request
            while true {
                let result = try store.list(page, as: viewer)
                seen += result.events.map(\.id)
                guard let next = result.nextCursor else { break }
                page.cursor = next
                // Mutate between pages.
                for _ in 0..<3 {
                    now += 1
                    switch scenario.random.next() % 3 {
                    case 0:
                        let e = scenario.event(org: viewer.organization, now: now)
                        try store.record(e)
                        model.events[e.id] = e
                        touched.insert(e.id)
                    case 1:
                        guard var e = model.events.values.sorted(by: { $0.id < $1.id }).randomElement(using: &scenario.random) else { continue }
                        e.startedAt = Timestamp(millisecondsSince1970: now)
                        e.status = .queued
                        _ = try store.write { try $0.storeRecord(e) }
                        model.events[e.id] = e
                        touched.insert(e.id)
                    default:
                        guard let e = model.events.values.sorted(by: { $0.id < $1.id }).randomElement(using: &scenario.random) else { continue }
                        _ = try store.write { try $0.removeRecord(e.id) }
                        model.events[e.id] = nil
                        touched.insert(e.id)
                    }
                }
            }
            // An event that moved (a retry moves it to now) may be seen twice; one that stayed, never.
            let untouched = seen.filter { !touched.contains($0) }
            #expect(Set(untouched).count == untouched.count, "an event that stayed in place was repeated")
            let stayed = before.filter { !touched.contains($0.id) }.map(\.id)
            #expect(seen.filter { !touched.contains($0) } == stayed)
        }
    }

    /// No page ever holds an event outside the viewer's visible set, and a cursor only works for the
    /// viewer and filters it was made for.
    @Test(arguments: Backend.allCases)
    func isolationAndCursorBinding(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var scenario = ListScenario(seed: 31)
        let events = (0..<500).map { _ in scenario.event() }
        try store.record(contentsOf: events)
        let byID = Dictionary(uniqueKeysWithValues: events.map { ($0.id, $0) })
        var refused = 0
        for _ in 0..<200 {
            let viewer = scenario.viewer()
            var request = scenario.request(for: viewer)
            request.limit = 1
            let page = try store.list(request, as: viewer)
            for e in page.events {
                let stored = try #require(byID[e.id])
                #expect(stored.organizationId == viewer.organization)
                #expect(viewer.canSee(instance: stored.connectorInstanceId))
            }
            guard let cursor = page.nextCursor else { continue }
            // Another viewer, or other filters: refused with a 400 on ["cursor"].
            let other = scenario.viewer()
            var otherRequest = scenario.request(for: other)
            otherRequest.cursor = cursor
            otherRequest.limit = request.limit
            let sameBinding = other == viewer && otherRequest.connectorInstanceId == request.connectorInstanceId
                && otherRequest.connectorTargetId == request.connectorTargetId && otherRequest.status == request.status
                && otherRequest.eventType == request.eventType && otherRequest.q == request.q
            if sameBinding { continue }
            let outcome = Result { () throws(SyncEventStoreError) in try store.list(otherRequest, as: other) }
            guard case .failure(.invalidRequest(let e)) = outcome else {
                Issue.record("a foreign cursor was not refused: \(outcome)")
                continue
            }
            #expect(e.details.map(\.path) == [["cursor"]])
            refused += 1
            // The same viewer and filters with another limit is fine.
            var again = request
            again.cursor = cursor
            again.limit = 5
            _ = try store.list(again, as: viewer)
        }
        #expect(refused > 20)
    }

    @Test(arguments: Backend.allCases)
    func cursorTamperingAndBareIds(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var scenario = ListScenario(seed: 41)
        let org = scenario.orgs[0]
        let events = (0..<30).map { _ in scenario.event(org: org) }
        try store.record(contentsOf: events)
        let admin = Viewer.admin(organization: org)
        let first = try store.list(ListRequest(limit: 5), as: admin)
        let cursor = try #require(first.nextCursor)
        #expect(cursor.utf16.count <= 255)
        // Flip each character: every altered cursor is refused.
        let chars = Array(cursor)
        for i in chars.indices {
            var altered = chars
            altered[i] = altered[i] == "A" ? "B" : "A"
            let response = try store.listResponse(query: [QueryItem(name: "cursor", value: String(altered))], as: admin)
            #expect(response.status == 400)
            #expect(String(decoding: response.body, as: UTF8.self).contains(#""path":["cursor"]"#))
        }
        for bad in ["x", "!!!!", String(repeating: "A", count: 255), "cse_00000000000000000000000000"] {
            let response = try store.listResponse(query: [QueryItem(name: "cursor", value: bad)], as: admin)
            #expect(response.status == 400, "\(bad)")
        }
        // A bare id of the last item continues where the opaque cursor would.
        let viaCursor = try store.list(ListRequest(cursor: cursor, limit: 5), as: admin)
        let viaID = try store.list(ListRequest(cursor: first.events.last!.id.description, limit: 5), as: admin)
        #expect(viaCursor.events == viaID.events)
        // …but not when the event does not match the filters.
        let other = first.events.last!
        let mismatched = EventStatus.allCases.first { $0 != other.status }!
        #expect(throws: SyncEventStoreError.self) {
            try store.list(ListRequest(cursor: other.id.description, status: mismatched), as: admin)
        }
        // Padding and whitespace around a cursor: trimmed, as the reference trims.
        let padded = try store.listResponse(
            query: [QueryItem(name: "cursor", value: "  \(cursor)\n"), QueryItem(name: "limit", value: "5")], as: admin)
        #expect(padded.status == 200)
    }

    @Test func emptyResultsAndMembersWithoutGrants() throws {
        let store = SyncEventStore.inMemory()
        var scenario = ListScenario(seed: 51)
        let org = scenario.orgs[0]
        try store.record(contentsOf: (0..<20).map { _ in scenario.event(org: org) })
        let nobody = Viewer.member(organization: org, visibleInstances: [])
        let r = try store.listResponse(query: [], as: nobody)
        #expect(r.status == 200)
        #expect(String(decoding: r.body, as: UTF8.self) == #"{"items":[],"nextCursor":null}"#)
        let foreign = try store.listResponse(query: [], as: .admin(organization: scenario.orgs[1]))
        #expect(String(decoding: foreign.body, as: UTF8.self) == #"{"items":[],"nextCursor":null}"#)
        let invalid = try store.listResponse(query: [QueryItem(name: "limit", value: "0")], as: nobody)
        #expect(invalid.status == 400)
    }
}
