import Foundation
import SyncEventStore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 14's scale-out check: two `syncevents serve --postgres` processes on one PostgreSQL schema,
/// driven together over HTTP. Every page either server gives matches the reference model (and a cursor
/// of one server works on the other: the cursor secret lives in the database), and every due event is
/// claimed exactly once across the two servers' workers.
///
/// Runs when `SES_POSTGRES_URL` names a server (`bash scripts/with-postgres.sh swift test --filter
/// TwoServers`, or `make test`); without it the test is skipped, as the PostgreSQL conformance tests are.
@Suite("Two serve processes on one PostgreSQL database", .serialized)
struct TwoServersTests {
    /// The test server of `SES_POSTGRES_URL`, or `nil` (the test is then disabled).
    static var postgresURL: String? {
        guard let url = ProcessInfo.processInfo.environment["SES_POSTGRES_URL"], !url.isEmpty else { return nil }
        return url
    }

    @Test(.enabled(if: TwoServersTests.postgresURL != nil, "needs SES_POSTGRES_URL (run through scripts/with-postgres.sh)"))
    func pagesMatchTheModelAndEveryDueEventIsClaimedOnce() async throws {
        let dir = TemporaryDirectory()
        let cli = Syncevents(dir: dir)
        // The test's own schema: nothing else in the database is touched.
        let base = try #require(Self.postgresURL)
        let url = base + (base.contains("?") ? "&" : "?") + "schema=serve_"
            + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")

        // A data set with nothing due and nothing running: the only due events are the ones retried
        // below, so "claimed exactly once" has an exact set to be checked against, and the workers
        // leave the pages alone while they are compared with the model.
        let generated = try cli.run(["generate", "--events", "1500", "--organizations", "2", "--instances", "8",
                                     "--targets", "40", "--seed", "14"])
        #expect(generated.status == 0)
        let lines = generated.stdout.split(separator: "\n").filter {
            !$0.contains(#""status":"queued""#) && !$0.contains(#""status":"running""#)
        }
        let events = try lines.map { try SyncEvent(jsonLine: Array($0.utf8)) }
        #expect(events.count > 1000)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir.sub("events.ndjson")))
        let imported = try cli.run(["import", "--postgres", url, dir.sub("events.ndjson")])
        #expect(imported.status == 0, "\(imported.stderr)")

        var model = ListModel(events: events)
        let org = events[0].organizationId
        let instances = Array(Set(events.filter { $0.organizationId == org }.map(\.connectorInstanceId))).sorted {
            $0.description < $1.description
        }
        let granted = Set(instances.prefix(instances.count / 2))
        let grants = granted.map { "\"\($0)\": \"editor\"" }.joined(separator: ", ")
        try Data(#"""
            {"tokens": {"adm": {"organizationId": "\#(org)", "role": "admin"},
                        "mem": {"organizationId": "\#(org)", "role": "member", "grants": {\#(grants)}}}}
            """#.utf8).write(to: URL(fileURLWithPath: dir.sub("tokens.json")))

        let arguments = ["serve", "--postgres", url, "--port", "0", "--tokens", dir.sub("tokens.json"),
                         "--workers", "2", "--sync-time", "40"]
        let a = try cli.start(arguments)
        let b = try cli.start(arguments)
        defer {
            for server in [a, b] where server.process.isRunning { server.process.terminate() }
        }
        let urlA = try #require(a.readyURL(timeout: 120), "server A did not start: \(Self.text(a.stderrPath))")
        let urlB = try #require(b.readyURL(timeout: 120), "server B did not start: \(Self.text(b.stderrPath))")
        let servers = [urlA, urlB]

        // (a) Pages, on both servers at once, each walk alternating servers page by page.
        let viewers: [(token: String, viewer: Viewer)] = [
            ("adm", .admin(organization: org)), ("mem", .member(organization: org, visibleInstances: granted)),
        ]
        let someTarget = try #require(events.first { $0.organizationId == org && $0.connectorTargetId != nil }?.connectorTargetId)
        let filters: [[(String, String)]] = [
            [],
            [("status", "failed")],
            [("connectorInstanceId", instances[0].description)],
            [("connectorTargetId", someTarget.description)],
            [("eventType", "push"), ("status", "completed")],
            [("q", "a1")],
            [("q", "e")],
        ]
        let walks = viewers.flatMap { viewer in
            filters.enumerated().map { n, filter in (viewer, filter, n % 2) }
        }
        let frozen = model
        let results = try await withThrowingTaskGroup(of: WalkResult.self) { group in
            for (viewer, filter, first) in walks {
                group.addTask {
                    try await Self.walk(servers: servers, startingAt: first, token: viewer.token, viewer: viewer.viewer,
                                        filter: filter, limit: 17, model: frozen)
                }
            }
            var all: [WalkResult] = []
            for try await result in group { all.append(result) }
            return all
        }
        for result in results {
            #expect(result.mismatches.isEmpty, "\(result.description): \(result.mismatches.prefix(3))")
            let same = result.ids == result.expected  // (not inside #expect: it would print every id)
            #expect(same, "\(result.description): \(result.ids.count) ids, the model \(result.expected.count)")
        }
        #expect(results.contains { $0.pages > 3 && $0.crossedServers }, "some walk used a cursor of one server on the other")
        #expect(Self.claims(in: [a, b]).isEmpty, "nothing is due before the retries")

        // (b) Retries through both servers, each event once; then every one is claimed and completed.
        let retried = Array(events.filter { $0.organizationId == org }.shuffled().prefix(48))
        try await withThrowingTaskGroup(of: (TypeID, Int).self) { group in
            for (n, event) in retried.enumerated() {
                group.addTask {
                    let answer = try await Self.request(servers[n % 2] + "/v1/connector-sync-events/\(event.id)/retry",
                                                        method: "POST", token: "adm")
                    return (event.id, answer.status)
                }
            }
            for try await (id, status) in group { #expect(status == 202, "retry of \(id)") }
        }
        let deadline = Date().addingTimeInterval(60)
        var finished: [TypeID: String] = [:]  // event → the worker its summary names
        while finished.count < retried.count && Date() < deadline {
            for (n, event) in retried.enumerated() where finished[event.id] == nil {
                let detail = try await Self.request(servers[(n + 1) % 2] + "/v1/connector-sync-events/\(event.id)", token: "adm")
                let item = try #require(try json(detail.body)["item"] as? [String: Any])
                if item["status"] as? String == "completed" {
                    finished[event.id] = (item["summaryJson"] as? [String: Any])?["worker"] as? String ?? "?"
                }
            }
            if finished.count < retried.count { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(finished.count == retried.count, "completed within 60 s: \(finished.count) of \(retried.count)")

        // The model, told what the retries and the workers did (each event as its detail now shows it),
        // still matches every page: the list indexes moved with the records (new startedAt, status).
        for event in retried {
            let detail = try await Self.request(urlA + "/v1/connector-sync-events/\(event.id)", token: "adm")
            model.events[event.id] = try Self.event(detail: detail.body, organization: org)
        }
        #expect(model.events.values.filter { $0.status == .completed }.count > events.filter { $0.status == .completed }.count)
        let filtersAfter: [[(String, String)]] = [[], [("status", "completed")], [("status", "failed")]]
        for (n, filter) in filtersAfter.enumerated() {
            let after = try await Self.walk(servers: servers, startingAt: n % 2, token: "adm", viewer: .admin(organization: org),
                                            filter: filter, limit: 50, model: model)
            #expect(after.mismatches.isEmpty, "after the retries, \(after.description): \(after.mismatches.prefix(3))")
            let same = after.ids == after.expected
            #expect(same,
                    "after the retries, \(after.description): \(after.ids.count) ids, the model \(after.expected.count)")
        }

        // Stop both (SIGTERM): the workers finish, the servers drain and exit 0.
        for server in [a, b] { server.process.terminate() }
        for server in [a, b] {
            server.process.waitUntilExit()
            #expect(server.process.terminationStatus == 0, "\(Self.text(server.stderrPath).suffix(2000))")
        }

        let claims = Self.claims(in: [a, b])
        var claimsPerEvent: [String: [String]] = [:]
        for claim in claims { claimsPerEvent[claim.event, default: []].append(claim.worker) }
        let twice = claimsPerEvent.filter { $0.value.count > 1 }
        #expect(twice.isEmpty, "claimed more than once: \(twice.prefix(5))")
        #expect(Set(claimsPerEvent.keys) == Set(retried.map(\.id.description)), "exactly the due events are claimed")
        for (id, worker) in finished {
            #expect(claimsPerEvent[id.description] == [worker], "\(id): completed by \(worker), claimed by \(claimsPerEvent[id.description] ?? [])")
        }
        let pids = Set(claims.map { $0.worker.split(separator: "/")[0] })
        #expect(pids == [Substring(String(a.process.processIdentifier)), Substring(String(b.process.processIdentifier))],
                "both servers claimed some: \(claims.count) claims by \(pids)")
        #expect(!Self.text(a.stderrPath).contains("failed to finish") && !Self.text(b.stderrPath).contains("failed to finish"))
    }

    // MARK: - Walking pages

    struct WalkResult: Sendable {
        var description: String
        var ids: [TypeID] = []
        var expected: [TypeID] = []
        var mismatches: [String] = []
        var pages = 0
        var crossedServers = false
    }

    /// Pages `filter` to the end as `viewer`, page `k` on server `(startingAt + k) % 2`, and compares each
    /// page's items, byte for byte, with the model's.
    static func walk(
        servers: [String], startingAt first: Int, token: String, viewer: Viewer, filter: [(String, String)], limit: Int,
        model: ListModel
    ) async throws -> WalkResult {
        var result = WalkResult(description: "\(token) \(filter)")
        let all = model.matching(viewer, filter)
        result.expected = all.map(\.id)
        var cursor: String?
        var server = first
        repeat {
            var query = filter.map { "\($0.0)=\(escape($0.1))" } + ["limit=\(limit)"]
            if let cursor { query.append("cursor=\(escape(cursor))") }
            let answer = try await request(servers[server] + "/v1/connector-sync-events?" + query.joined(separator: "&"), token: token)
            guard answer.status == 200 else {
                result.mismatches.append("page \(result.pages) on server \(server): \(answer.status) \(answer.body)")
                return result
            }
            let start = result.ids.count
            let expected = all.dropFirst(start).prefix(limit)
            let items = expected.map { String(decoding: $0.jsonBytes, as: UTF8.self) }.joined(separator: ",")
            guard answer.body.hasPrefix(#"{"items":["# + items + #"],"nextCursor":"#) else {
                result.mismatches.append("page \(result.pages) on server \(server) differs from the model: \(answer.body.prefix(300))")
                return result
            }
            let page = try json(answer.body)
            let got = (page["items"] as? [[String: Any]] ?? []).compactMap { ($0["id"] as? String).flatMap { TypeID.parse($0, prefix: .event) } }
            result.ids += got
            cursor = page["nextCursor"] as? String
            if (cursor == nil) != (start + limit >= all.count) {
                result.mismatches.append("page \(result.pages): nextCursor \(cursor ?? "null") after \(result.ids.count) of \(all.count)")
            }
            if result.pages > 0 { result.crossedServers = true }  // this page used the other server's cursor
            result.pages += 1
            server = 1 - server
        } while cursor != nil && result.pages < 200
        return result
    }

    /// Percent-encodes a query value.
    static func escape(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    // MARK: - HTTP and logs

    /// Sends one request with `x-api-key: token`: status and body.
    static func request(_ url: String, method: String = "GET", token: String) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        request.setValue(token, forHTTPHeaderField: "x-api-key")
        request.timeoutInterval = 60
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The workers' claim lines (`syncevents serve: worker <pid>/<n> claimed <id> token <token>`) of
    /// every server's stdout.
    static func claims(in servers: [Syncevents.Running]) -> [(worker: String, event: String)] {
        servers.flatMap { server in
            text(server.stdoutPath).split(separator: "\n").compactMap { line in
                line.firstMatch(of: /^syncevents serve: worker (\d+\/\d+) claimed (cse_[a-z0-9]+) token \S+$/)
                    .map { (String($0.1), String($0.2)) }
            }
        }
    }

    static func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// The event of a detail body (`{"item": …}`, parsed keeping key order, so that its summary's keys
    /// stay in the store's order); the item has no `organizationId`: it is the caller's organization.
    static func event(detail body: String, organization: TypeID) throws -> SyncEvent {
        guard case .object(let top) = try JSONParser.parse(body),
            let item = top.members.first(where: { $0.key == "item" })?.value, case .object(let object) = item
        else { throw DetailError(body: body) }
        let members = object.members.map { ($0.key, $0.value) } + [("organizationId", JSONValue.string(organization.description))]
        return try SyncEvent(jsonObject: JSONObject(members))
    }

    struct DetailError: Error { var body: String }
}

/// The reference model of the list endpoint (BEHAVIOUR.md §3–§4), as the conformance suite's
/// `ListReferenceModel`: visibility, filters, `q` as a JavaScript-lowercased substring of
/// `externalEventRef + "\n" + sourceRevisionRef`, newest first by `(startedAt, id)`.
struct ListModel: Sendable {
    var events: [TypeID: SyncEvent]

    init(events: [SyncEvent]) {
        self.events = Dictionary(uniqueKeysWithValues: events.map { ($0.id, $0) })
    }

    /// Every event `viewer` sees under `filter` (query name → value), in list order.
    func matching(_ viewer: Viewer, _ filter: [(String, String)]) -> [SyncEvent] {
        events.values.filter { e in
            guard e.organizationId == viewer.organization, viewer.canSee(instance: e.connectorInstanceId) else { return false }
            for (name, value) in filter {
                switch name {
                case "connectorInstanceId": if e.connectorInstanceId.description != value { return false }
                case "connectorTargetId": if e.connectorTargetId?.description != value { return false }
                case "status": if e.status.rawValue != value { return false }
                case "eventType": if e.eventType.rawValue != value { return false }
                case "q":
                    let text = JavaScriptCase.lowercase((e.externalEventRef ?? "") + "\n" + (e.sourceRevisionRef ?? ""))
                    if !text.contains(JavaScriptCase.lowercase(value)) { return false }
                default: return false
                }
            }
            return true
        }.sorted { a, b in a.startedAt != b.startedAt ? a.startedAt > b.startedAt : a.id > b.id }
    }
}
