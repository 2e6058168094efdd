import Testing

@testable import SyncEventStore

/// The work of a `q` page, counted in records read (never timed): a needle that is rare although each of
/// its grams is common — a commit SHA or a delivery GUID in a large organization — is answered from the
/// search index, not by walking the organization.
@Suite struct SearchPlanWorkTests {
    /// One organization whose events carry random 40-hex SHAs and GUID-like delivery ids, so that every hex
    /// trigram is in many events. `searchCandidateLimit = 1` scales the planner's thresholds down to this
    /// size: a gram with more than 4 postings here is as common as one with more than 16,384 at the default.
    func store(_ backend: Backend, _ dir: TemporaryDirectory) throws -> (SyncEventStore, ListReferenceModel, TypeID) {
        var configuration = Configuration()
        configuration.searchCandidateLimit = 1
        let store = try makeStore(backend, dir, configuration: configuration)
        var f = Fixtures(seed: 91)
        let org = f.id(.organization)
        let instance = f.id(.connectorInstance)
        func hex(_ n: Int) -> String {
            var s = ""
            while s.count < n { s += String(f.random.next(), radix: 16) }
            return String(s.prefix(n))
        }
        var model = ListReferenceModel()
        var events: [SyncEvent] = []
        for i in 0..<2_000 {
            var e = f.event(org: org, instance: instance, startedAt: 1_767_000_000_000 + Int64(i % 700))
            e.sourceRevisionRef = hex(40)
            e.externalEventRef = "\(hex(8))-\(hex(4))-\(hex(4))-\(hex(4))-\(hex(12))"
            events.append(e)
            model.events[e.id] = e
        }
        try store.record(contentsOf: events)
        return (store, model, org)
    }

    @Test(arguments: Backend.allCases)
    func aRareHexNeedleReadsOnlyItsMatches(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let (store, model, org) = try store(backend, dir)
        defer { store.close() }
        let viewer = Viewer.admin(organization: org)
        let sorted = model.events.values.sorted(by: ListReferenceModel.listOrder)
        for (k, needle) in [
            String(sorted[1234].sourceRevisionRef!.prefix(12)),  // a SHA prefix, as a user pastes it
            String(sorted[77].sourceRevisionRef!.prefix(7)),  // git's short SHA
            String(sorted[500].externalEventRef!.dropFirst(9).prefix(9)),  // a piece of a delivery GUID
            "0f0f0f0f0f0f",  // hex that matches nothing
        ].enumerated() {
            let request = ListRequest(limit: 50, q: needle)
            let expected = model.matching(request, viewer)
            if k < 3 { #expect(!expected.isEmpty, "\(needle)") }
            // Every gram of the needle is common here (the plan once gave up on such a needle and walked
            // every record of the organization).
            let text = model.events.values.map { (($0.externalEventRef ?? "") + "\n" + ($0.sourceRevisionRef ?? "")).lowercased() }
            let utf8 = Array(needle.utf8)
            let rarest = (0...(utf8.count - 3)).map { i in
                let gram = String(decoding: utf8[i..<(i + 3)], as: UTF8.self)
                return text.filter { $0.contains(gram) }.count
            }.min()!
            #expect(rarest > 4, "\(needle): rarest gram in \(rarest) events")

            let page = try store.list(request, as: viewer)
            #expect(page.events.map(\.id) == expected.prefix(50).map(\.id), "\(needle)")
            #expect(try store.recordsRead(listing: request, as: viewer) <= expected.count + 1, "\(needle)")
        }
    }

    /// A needle whose matches are dense is still walked (the candidate list would be larger than a page),
    /// and the page is the same.
    @Test(arguments: Backend.allCases)
    func aDenseNeedleIsWalked(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let (store, model, org) = try store(backend, dir)
        defer { store.close() }
        let viewer = Viewer.admin(organization: org)
        let request = ListRequest(limit: 20, q: "-")
        let expected = model.matching(request, viewer)
        #expect(expected.count == model.events.count)
        let page = try store.list(request, as: viewer)
        #expect(page.events.map(\.id) == expected.prefix(20).map(\.id))
        #expect(try store.recordsRead(listing: request, as: viewer) == 21)
    }

    /// A needle of middling rarity (5 % of a 2,000-event organization) has more matches than the fixed
    /// candidate limit, yet intersecting is cheaper than walking ~20 records per match: the limit grows with
    /// the square root of page size × organization size, so the page reads its matches only. With the
    /// limit held fixed (`searchBalance = 0`) the same page walks hundreds of records.
    @Test(arguments: Backend.allCases)
    func aMiddlingNeedleInALargeOrganizationIsIntersected(backend: Backend) throws {
        var reads: [Double: Int] = [:]
        for balance in [0.5, 0] {
            let dir = TemporaryDirectory()
            var configuration = Configuration()
            configuration.searchCandidateLimit = 1
            configuration.searchBalance = balance
            let store = try makeStore(backend, dir, configuration: configuration)
            defer { store.close() }
            var f = Fixtures(seed: 92)
            let org = f.id(.organization)
            var model = ListReferenceModel()
            var events: [SyncEvent] = []
            for i in 0..<2_000 {
                var e = f.event(org: org, instance: f.id(.connectorInstance), startedAt: 1_767_000_000_000 + Int64(i))
                e.externalEventRef = i % 20 == 7 ? "delivery-\(i)-middling" : "delivery-\(i)"
                e.sourceRevisionRef = nil
                events.append(e)
                model.events[e.id] = e
            }
            try store.record(contentsOf: events)
            let viewer = Viewer.admin(organization: org)
            let request = ListRequest(limit: 20, q: "middling")
            let expected = model.matching(request, viewer)
            #expect(expected.count == 100)
            var pages = 0
            var cursor: String?
            var seen: [TypeID] = []
            repeat {
                var paged = request
                paged.cursor = cursor
                let page = try store.list(paged, as: viewer)
                seen += page.events.map(\.id)
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil && pages < 10
            #expect(seen == expected.map(\.id), "balance \(balance)")
            reads[balance] = try store.recordsRead(listing: request, as: viewer)
        }
        #expect(reads[0.5]! <= 21, "intersected: reads only the page's matches")
        #expect(reads[0]! > 200, "fixed limit: walks ~20 records per match")
    }
}
