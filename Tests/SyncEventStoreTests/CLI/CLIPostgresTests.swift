import Foundation
import Testing
@testable import SyncEventStore

/// `syncevents … --postgres URL` answers as `--store DIR` does for the same events.
@Suite("syncevents CLI on PostgreSQL")
struct CLIPostgresTests {
    let dir = TemporaryDirectory()
    var cli: CLIRunner { CLIRunner(dir: dir) }

    /// The test's own schema in the test server.
    func postgresURL() throws -> String {
        let url = try #require(StoreBackend.postgresURL)
        return url + (url.contains("?") ? "&" : "?") + "schema=cli_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    func parse(_ bytes: [UInt8]) throws -> JSONValue { try JSONParser.parse(String(decoding: bytes, as: UTF8.self)) }

    @Test(.enabled(if: StoreBackend.postgresURL != nil))
    func importListGetExportVerifyMatchTheEmbeddedStore() throws {
        let file = try cli.generate(1500, seed: 4)
        let pg = try postgresURL()
        let store = dir.sub("store")
        try cli.ok(["import", "--postgres", pg, file])
        try cli.ok(["import", "--store", store, file])
        let line = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")[0]
        let first = try JSONParser.parse(String(line))
        let org = first["organizationId"]!.stringValue!
        for query in ["limit=7", "status=failed&limit=3", "q=a&limit=5", "q=DELIVERY&limit=4", "eventType=push&limit=2",
                      "limit=0", "status=nope"] {
            let a = try cli.run(["list", "--postgres", pg, "--organization", org, "--query", query])
            let b = try cli.run(["list", "--store", store, "--organization", org, "--query", query])
            #expect(a.status == b.status, "\(query): \(a.stderr)")
            let ja = try parse(a.stdout), jb = try parse(b.stdout)
            #expect(ja["items"] == jb["items"], "\(query)")
            #expect((ja["nextCursor"] == .null) == (jb["nextCursor"] == .null), "\(query)")
            if b.status == 2 { #expect(a.stdout == b.stdout, "the same 400 body for \(query)") }
        }
        // Paging to the end through --cursor gives every event of the organization once.
        var cursor: String?
        var seen: [String] = []
        repeat {
            var args = ["list", "--postgres", pg, "--organization", org, "--limit", "100"]
            if let cursor { args += ["--cursor", cursor] }
            let page = try parse(try cli.ok(args).stdout)
            seen += page["items"]!.arrayValue!.map { $0["id"]!.stringValue! }
            cursor = page["nextCursor"]!.stringValue
        } while cursor != nil
        let expected = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").filter { $0.contains(org) }.count
        #expect(seen.count == expected && Set(seen).count == expected)
        let id = first["id"]!.stringValue!
        #expect(try cli.ok(["get", "--postgres", pg, "--organization", org, id]).stdout
            == (try cli.ok(["get", "--store", store, "--organization", org, id]).stdout))
        let missing = try cli.run(["get", "--postgres", pg, "--organization", org, "cse_00000000000000000000000000"])
        #expect(missing.status == 3)
        #expect(try cli.ok(["export", "--postgres", pg]).stdout == (try cli.ok(["export", "--store", store]).stdout))
        #expect(try cli.ok(["verify", "--postgres", pg]).text.hasPrefix("ok: 1500 events"))
        #expect(try cli.ok(["stats", "--postgres", pg]).text.contains("1500 events"))
        // bench: list requests and claims through the same protocol.
        let requests = dir.sub("requests.ndjson")
        try "{\"organizationId\": \"\(org)\", \"query\": \"status=failed&limit=5\"}\n".write(toFile: requests, atomically: true, encoding: .utf8)
        let bench = try cli.ok(["bench", "--postgres", pg, "--queries", requests, "--repeat", "3", "--claims", "2"]).lines
        #expect(bench.count == 2 && bench[0].contains("\"items\":5") && bench[1].contains("\"claimed\":"))
        #expect(!bench[1].contains("\"claimed\":0"))
        let claimed = try cli.ok(["export", "--postgres", pg]).lines.filter { $0.contains("\"status\":\"running\"") }.count
        let running = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").filter { $0.contains("\"status\":\"running\"") }.count
        #expect(claimed > running)
        // Importing again: every id is already there; nothing is written.
        let again = try cli.run(["import", "--postgres", pg, file])
        #expect(again.status == 1 && again.stderr.contains("already in the store"))
        #expect(try cli.ok(["export", "--postgres", pg]).lines.count == 1500)
    }

    @Test func theStoreIsGivenOnceAndAnAbsentServerIsAClearError() throws {
        let neither = try cli.run(["list", "--organization", "org_00000000000000000000000000"])
        #expect(neither.status != 0 && neither.stderr.contains("--store DIR or --postgres URL"))
        let both = try cli.run(["list", "--store", dir.sub("s"), "--postgres", "postgres://u@127.0.0.1/db",
                                "--organization", "org_00000000000000000000000000"])
        #expect(both.status != 0 && both.stderr.contains("not both"))
        let port = try freeLoopbackPort()
        let down = try cli.run(["list", "--postgres", "postgres://postgres@127.0.0.1:\(port)/postgres",
                                "--organization", "org_00000000000000000000000000"])
        #expect(down.status == 1 && down.stderr.contains("unavailable") && down.stderr.contains("127.0.0.1:\(port)"))
        let bad = try cli.run(["list", "--postgres", "mysql://x@y/z", "--organization", "org_00000000000000000000000000"])
        #expect(bad.status == 1 && bad.stderr.contains("PostgreSQL URL"))
    }
}
