import Testing
@testable import SyncEventStore

/// The conformance suite's list part: every backend pages every request exactly as the reference model
/// lists it, serves the same 200 and 400 bodies, keeps viewers apart and refuses foreign or altered cursors.
@Suite("Conformance: list endpoint")
struct ListConformanceTests {
    static func items(_ r: ListRequest) -> [QueryItem] {
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

    static func body(_ page: Page) -> String {
        let items = page.events.map { String(decoding: $0.jsonBytes, as: UTF8.self) }.joined(separator: ",")
        let next = page.nextCursor.map { "\"\($0)\"" } ?? "null"
        return "{\"items\":[\(items)],\"nextCursor\":\(next)}"
    }

    /// Pages every request to the end through `nextCursor`; the concatenation equals the model's list,
    /// and each page's HTTP body is the events' JSON with the same cursor.
    @Test(arguments: StoreBackend.available, [UInt64(11), 12])
    func pagingEqualsModel(backend: StoreBackend, seed: UInt64) async throws {
        let opened = try await openStore(backend)
        defer { Task { await opened.close() } }
        let store = opened.store
        var scenario = ListScenario(seed: seed)
        var model = ListReferenceModel()
        let events = (0..<600).map { _ in scenario.event() }
        try await store.record(contentsOf: events)
        for e in events { model.events[e.id] = e }
        for _ in 0..<120 {
            let viewer = scenario.viewer()
            let request = scenario.request(for: viewer)
            let expected = model.matching(request, viewer)
            var got: [SyncEvent] = []
            var page = request
            var pages = 0
            while true {
                let result = try await store.list(page, as: viewer)
                #expect(result.events.count <= request.limit)
                got += result.events
                pages += 1
                if page.q.map({ JavaScriptText.trim($0) == $0 }) ?? true {
                    let response = try await store.listResponse(query: Self.items(page), as: viewer)
                    #expect(response.status == 200)
                    #expect(String(decoding: response.body, as: UTF8.self) == Self.body(result))
                }
                guard let next = result.nextCursor else { break }
                #expect(result.events.count == request.limit)
                page.cursor = next
                if pages > 700 { break }
            }
            #expect(got.map(\.id) == expected.map(\.id), "\(backend): \(request) as \(viewer)")
            #expect(got == expected)
        }
    }

    /// No page ever holds an event outside the viewer's visible set, and a cursor only works for the
    /// viewer and filters it was made for.
    @Test(arguments: StoreBackend.available)
    func isolationAndCursorBinding(backend: StoreBackend) async throws {
        let opened = try await openStore(backend)
        defer { Task { await opened.close() } }
        let store = opened.store
        var scenario = ListScenario(seed: 31)
        let events = (0..<500).map { _ in scenario.event() }
        try await store.record(contentsOf: events)
        let byID = Dictionary(uniqueKeysWithValues: events.map { ($0.id, $0) })
        var refused = 0
        for _ in 0..<200 {
            let viewer = scenario.viewer()
            var request = scenario.request(for: viewer)
            request.limit = 1
            let page = try await store.list(request, as: viewer)
            for e in page.events {
                let stored = try #require(byID[e.id])
                #expect(stored.organizationId == viewer.organization)
                #expect(viewer.canSee(instance: stored.connectorInstanceId))
            }
            guard let cursor = page.nextCursor else { continue }
            let other = scenario.viewer()
            var otherRequest = scenario.request(for: other)
            otherRequest.cursor = cursor
            otherRequest.limit = request.limit
            let sameBinding = other == viewer && otherRequest.connectorInstanceId == request.connectorInstanceId
                && otherRequest.connectorTargetId == request.connectorTargetId && otherRequest.status == request.status
                && otherRequest.eventType == request.eventType && otherRequest.q == request.q
            if sameBinding { continue }
            var refusal: SyncEventStoreError?
            do { _ = try await store.list(otherRequest, as: other) } catch { refusal = error }
            guard case .invalidRequest(let e)? = refusal else {
                Issue.record("a foreign cursor was not refused: \(String(describing: refusal))")
                continue
            }
            #expect(e.details.map(\.path) == [["cursor"]])
            refused += 1
            var again = request
            again.cursor = cursor
            again.limit = 5
            _ = try await store.list(again, as: viewer)
        }
        #expect(refused > 20)
    }

    /// Altered cursors get the 400 body on `["cursor"]`; a bare event id continues as the opaque cursor
    /// would, but only for an event the query could return.
    @Test(arguments: StoreBackend.available)
    func cursorTamperingAndBareIds(backend: StoreBackend) async throws {
        let opened = try await openStore(backend)
        defer { Task { await opened.close() } }
        let store = opened.store
        var scenario = ListScenario(seed: 41)
        let org = scenario.orgs[0]
        let events = (0..<30).map { _ in scenario.event(org: org) }
        try await store.record(contentsOf: events)
        let admin = Viewer.admin(organization: org)
        let first = try await store.list(ListRequest(limit: 5), as: admin)
        let cursor = try #require(first.nextCursor)
        let chars = Array(cursor)
        for i in chars.indices {
            var altered = chars
            altered[i] = altered[i] == "A" ? "B" : "A"
            let response = try await store.listResponse(query: [QueryItem(name: "cursor", value: String(altered))], as: admin)
            #expect(response.status == 400)
            #expect(String(decoding: response.body, as: UTF8.self).contains(#""path":["cursor"]"#))
        }
        for bad in ["x", "!!!!", String(repeating: "A", count: 255), "cse_00000000000000000000000000"] {
            let response = try await store.listResponse(query: [QueryItem(name: "cursor", value: bad)], as: admin)
            #expect(response.status == 400, "\(bad)")
        }
        let viaCursor = try await store.list(ListRequest(cursor: cursor, limit: 5), as: admin)
        let viaID = try await store.list(ListRequest(cursor: first.events.last!.id.description, limit: 5), as: admin)
        #expect(viaCursor.events == viaID.events)
        let other = first.events.last!
        let mismatched = EventStatus.allCases.first { $0 != other.status }!
        await #expect(throws: SyncEventStoreError.self) {
            try await store.list(ListRequest(cursor: other.id.description, status: mismatched), as: admin)
        }
        let padded = try await store.listResponse(
            query: [QueryItem(name: "cursor", value: "  \(cursor)\n"), QueryItem(name: "limit", value: "5")], as: admin)
        #expect(padded.status == 200)
        // Validation is shared code: the same 400 bodies on every backend.
        let invalid = try await store.listResponse(query: [QueryItem(name: "limit", value: "0")], as: admin)
        let reference = try SyncEventStore.inMemory().listResponse(query: [QueryItem(name: "limit", value: "0")], as: admin)
        #expect(invalid == reference)
        let nobody = Viewer.member(organization: org, visibleInstances: [])
        let empty = try await store.listResponse(query: [], as: nobody)
        #expect(String(decoding: empty.body, as: UTF8.self) == #"{"items":[],"nextCursor":null}"#)
    }
}
