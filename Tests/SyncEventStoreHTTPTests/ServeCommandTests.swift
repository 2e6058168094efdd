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

    /// GET `url` with `headers`: status and body.
    func get(_ url: String, _ headers: [String: String] = [:]) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: try #require(URL(string: url)))
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}
