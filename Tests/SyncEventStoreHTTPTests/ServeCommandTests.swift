import Foundation
import SyncEventStoreHTTP
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `syncevents serve` as a real process over a real socket.
@Suite(.serialized) struct ServeCommandTests {
    @Test func serveAnswersOverASocketAndStopsOnSIGTERM() async throws {
        let dir = TemporaryDirectory()
        let cli = Syncevents(dir: dir)
        let events = try cli.run(["generate", "--events", "300", "--organizations", "2", "--seed", "4"]).stdout
        try Data(events.utf8).write(to: URL(fileURLWithPath: dir.sub("events.ndjson")))
        _ = try cli.run(["import", "--store", dir.sub("store"), dir.sub("events.ndjson")])
        let org = try #require(events.firstMatch(of: /"organizationId":"(org_[a-z0-9]+)"/)?.1)
        let instance = try #require(events.firstMatch(of: /"connectorInstanceId":"(cin_[a-z0-9]+)"/)?.1)
        try Data(#"""
            {"tokens": {"adm": {"organizationId": "\#(org)", "role": "admin"},
                        "mem": {"organizationId": "\#(org)", "role": "member", "grants": {"\#(instance)": "viewer"}}}}
            """#.utf8).write(to: URL(fileURLWithPath: dir.sub("tokens.json")))

        let server = try cli.start(["serve", "--store", dir.sub("store"), "--port", "0", "--tokens", dir.sub("tokens.json")])
        defer { if server.process.isRunning { server.process.terminate() } }
        let base = try #require(server.readyURL(timeout: 60))
        #expect(base.hasPrefix("http://127.0.0.1:"))

        #expect(try await get(base + "/health") == (200, #"{"ok":true}"#))
        let spec = try await get(base + "/openapi.yaml")
        #expect(spec.body == String(decoding: OpenAPIDocument.yaml, as: UTF8.self))
        #expect(spec.body.contains("/v1/connector-sync-events/{connectorSyncEventId}/retry"))

        let list = base + "/v1/connector-sync-events?limit=3"
        #expect(try await get(list).status == 401)
        #expect(try await get(list, ["Authorization": "Bearer nope"]).status == 401)
        #expect(try await get(list, ["Authorization": "Basic adm"]).status == 401)
        let bearer = try await get(list, ["Authorization": "Bearer adm"])
        #expect(bearer.status == 200)
        #expect(try await get(list, ["x-api-key": "adm"]) == bearer)
        // The scheme in any case, blanks around scheme and token; nothing else is a bearer token.
        #expect(try await get(list, ["Authorization": "bEaReR  adm "]) == bearer)
        #expect(try await get(list, ["Authorization": "Bearer\tadm"]) == bearer)
        for header in ["Bearer", "Bearer ", "Beareradm", "Bearers adm", "Bear adm", "adm"] {
            #expect(try await get(list, ["Authorization": header]).status == 401, "Authorization: \(header)")
        }
        let member = try await get(base + "/v1/connector-sync-events?limit=100", ["x-api-key": "mem"])
        #expect(!member.body.contains(#""connectorInstanceId":"cin_"#) || member.body.contains(String(instance)))

        // The same 400 body over HTTP as from `syncevents list --query`, for the same raw query.
        for query in [
            "limit=500&status=done", "status=failed&status=completed", "connectorInstanceId=foo&q=+++",
            "cursor=%20&limit=1.5&eventType=PUSH", "q=%E2%82%AC&connectorTargetId=ctg_8zzzzzzzzzzzzzzzzzzzzzzzzz&limit=0x",
        ] {
            let http = try await get(base + "/v1/connector-sync-events?" + query, ["x-api-key": "adm"])
            let local = try cli.run(["list", "--store", dir.sub("store"), "--organization", String(org), "--query", query])
            #expect(http.status == 400)
            #expect(local.status == 2)
            #expect(http.body == local.stdout, "\(query)")
        }

        server.process.terminate()  // SIGTERM
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        let log = try String(contentsOfFile: server.stderrPath, encoding: .utf8)
        #expect(log.contains("GET /health 200"))
        #expect(log.contains("GET /v1/connector-sync-events 401"))
    }

    @Test(arguments: [
        ("{", "not valid JSON"),
        (#"{"callers": {}}"#, #"expected {"tokens""#),
        (#"{"tokens": {"t1": {"organizationId": "org_1", "role": "admin"}}}"#, "organizationId must be an org_ TypeID"),
        (#"{"tokens": {"t1": {"organizationId": "org_01h2xcejqtf2nbrexx3vqjhp41", "role": "owner"}}}"#,
         #"role must be "admin" or "member""#),
        (#"{"tokens": {"t1": {"organizationId": "org_01h2xcejqtf2nbrexx3vqjhp41", "role": "member", "grants": {"cin_01h2xcejqtf2nbrexx3vqjhp41": "admin"}}}}"#,
         #"must be "viewer", "editor" or "manager""#),
        (#"{"tokens": {"t1": {"organizationId": "org_01h2xcejqtf2nbrexx3vqjhp41", "role": "member", "grants": {"ctg_01h2xcejqtf2nbrexx3vqjhp41": "viewer"}}}}"#,
         "is not a cin_ TypeID"),
        (#"{"tokens": {"t1": {"organizationId": "org_01h2xcejqtf2nbrexx3vqjhp41", "role": "member", "grants": ["cin_01h2xcejqtf2nbrexx3vqjhp41"]}}}"#,
         "grants must be an object"),
    ])
    func aBadTokensFileIsAClearErrorAndNothingIsServed(file: String, problem: String) throws {
        let dir = TemporaryDirectory()
        let cli = Syncevents(dir: dir)
        try Data(#"{"attemptCount":0,"completedAt":null,"connectorInstanceId":"cin_01h2xcejqtf2nbrexx3vqjhp41","connectorTargetId":null,"connectorType":"github","eventType":"installation","externalEventRef":null,"id":"cse_01h2xcejqtf2nbrexx3vqjhp41","nextAttemptAt":null,"organizationId":"org_01h2xcejqtf2nbrexx3vqjhp41","remoteId":null,"sourceRevisionRef":null,"startedAt":"2026-01-01T00:00:00.000Z","status":"pending","summaryJson":null}"#.utf8 + [10])
            .write(to: URL(fileURLWithPath: dir.sub("one.ndjson")))
        _ = try cli.run(["import", "--store", dir.sub("store"), dir.sub("one.ndjson")])
        try Data(file.utf8).write(to: URL(fileURLWithPath: dir.sub("tokens.json")))
        let r = try cli.run(["serve", "--store", dir.sub("store"), "--port", "0", "--tokens", dir.sub("tokens.json")])
        #expect(r.status == 1)
        #expect(r.stderr.contains(problem), "\(r.stderr)")
        #expect(r.stderr.contains(dir.sub("tokens.json")))
        #expect(!r.stdout.contains("http://"))
        let missing = try cli.run(["serve", "--store", dir.sub("store"), "--port", "0", "--tokens", dir.sub("none.json")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot read the file"))
    }

    @Test func theStoreIsGivenOnceAndTheWorkerOptionsAreChecked() throws {
        let dir = TemporaryDirectory()
        let cli = Syncevents(dir: dir)
        let neither = try cli.run(["serve", "--port", "0"])
        #expect(neither.status != 0 && neither.stderr.contains("--store DIR or --postgres URL"), "\(neither.stderr)")
        let both = try cli.run(["serve", "--store", dir.sub("s"), "--postgres", "postgres://u@127.0.0.1/db", "--port", "0"])
        #expect(both.status != 0 && both.stderr.contains("not both"), "\(both.stderr)")
        let workers = try cli.run(["serve", "--store", dir.sub("s"), "--port", "0", "--workers", "65"])
        #expect(workers.status != 0 && workers.stderr.contains("--workers must be 0…64"), "\(workers.stderr)")
        let syncTime = try cli.run(["serve", "--store", dir.sub("s"), "--port", "0", "--sync-time", "700000"])
        #expect(syncTime.status != 0 && syncTime.stderr.contains("--sync-time must be"), "\(syncTime.stderr)")
        let badURL = try cli.run(["serve", "--postgres", "mysql://u@127.0.0.1/db", "--port", "0"])
        #expect(badURL.status == 1 && badURL.stderr.contains("--postgres"), "\(badURL.stderr)")
        #expect(!badURL.stdout.contains("http://"))
        let help = try cli.run(["serve", "--help"])
        #expect(help.stdout.contains("--workers") && help.stdout.contains("--postgres"))
        #expect(help.stdout.contains("syncevents serve: worker <pid>/<n> claimed <event id> token <claim token>"))
    }

    /// `--workers` on the embedded store: a retried event is claimed, completed with the worker's name in
    /// its summary, and SIGTERM still exits 0.
    @Test func workersOnTheEmbeddedStoreCompleteRetriedEvents() async throws {
        let dir = TemporaryDirectory()
        let cli = Syncevents(dir: dir)
        let generated = try cli.run(["generate", "--events", "200", "--organizations", "1", "--seed", "9"]).stdout
        // Nothing due or running at start: the retried events are the only work.
        let lines = generated.split(separator: "\n").filter {
            !$0.contains(#""status":"queued""#) && !$0.contains(#""status":"running""#)
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir.sub("events.ndjson")))
        _ = try cli.run(["import", "--store", dir.sub("store"), dir.sub("events.ndjson")])
        let org = try #require(lines[0].firstMatch(of: /"organizationId":"(org_[a-z0-9]+)"/)?.1)
        let ids = lines.prefix(5).compactMap { $0.firstMatch(of: /"id":"(cse_[a-z0-9]+)"/).map { String($0.1) } }
        #expect(ids.count == 5)
        try Data(#"{"tokens": {"adm": {"organizationId": "\#(org)", "role": "admin"}}}"#.utf8)
            .write(to: URL(fileURLWithPath: dir.sub("tokens.json")))
        let server = try cli.start(["serve", "--store", dir.sub("store"), "--port", "0", "--tokens", dir.sub("tokens.json"),
                                    "--workers", "2"])
        defer { if server.process.isRunning { server.process.terminate() } }
        let base = try #require(server.readyURL(timeout: 60))
        for id in ids {
            var request = URLRequest(url: try #require(URL(string: base + "/v1/connector-sync-events/\(id)/retry")))
            request.httpMethod = "POST"
            request.setValue("adm", forHTTPHeaderField: "x-api-key")
            let (_, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 202)
        }
        let pid = server.process.processIdentifier
        let deadline = Date().addingTimeInterval(30)
        var done: Set<String> = []
        while done.count < ids.count && Date() < deadline {
            for id in ids where !done.contains(id) {
                let detail = try await get(base + "/v1/connector-sync-events/\(id)", ["x-api-key": "adm"])
                if detail.body.contains(#""status":"completed""#) && detail.body.contains(#""worker":"\#(pid)/"#) {
                    done.insert(id)
                }
            }
            if done.count < ids.count { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(done.count == ids.count, "completed by a worker of \(pid): \(done.count) of \(ids.count)")
        server.process.terminate()
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        let out = try String(contentsOfFile: server.stdoutPath, encoding: .utf8)
        for id in ids {
            #expect(out.components(separatedBy: " claimed \(id) token ").count == 2, "\(id) claimed once")
            #expect(out.contains(" completed \(id)\n"))
        }
    }

    /// GET `url` with `headers`: status and body.
    func get(_ url: String, _ headers: [String: String] = [:]) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: try #require(URL(string: url)))
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}
