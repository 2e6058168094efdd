import Foundation
import Testing
@testable import SyncEventStore

/// The `syncevents` executable, driven as a process. Each test has its own directory and stores.
@Suite("syncevents CLI")
struct CLITests {
    let dir = TemporaryDirectory()
    var cli: CLIRunner { CLIRunner(dir: dir) }

    /// The organization of the first generated line.
    func firstOrganization(_ file: String) throws -> String {
        let line = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")[0]
        return try JSONParser.parse(String(line))["organizationId"]!.stringValue!
    }

    @Test func generateIsDeterministicRealisticAndImportable() throws {
        let a = try cli.ok(["generate", "--events", "2000", "--seed", "9"]).stdout
        let b = try cli.ok(["generate", "--events", "2000", "--seed", "9"]).stdout
        let c = try cli.ok(["generate", "--events", "2000", "--seed", "10"]).stdout
        #expect(a == b)
        #expect(a != c)
        let lines = a.split(separator: UInt8(ascii: "\n"))
        #expect(lines.count == 2000)
        let events = try lines.map { try SyncEvent(jsonLine: $0) }
        #expect(Set(events.map(\.id)).count == 2000)
        #expect(zip(events, lines).allSatisfy { $0.ndjsonLine.elementsEqual($1) })
        #expect(Set(events.map(\.startedAt)).count < 1900, "many events share a millisecond")
        #expect(Set(events.map(\.eventType)) == Set(EventType.allCases))
        #expect(Set(events.map(\.status)) == Set(EventStatus.allCases))
        for e in events {
            if let done = e.completedAt { #expect(done >= e.startedAt) }
            if e.eventType == .push {
                #expect(e.sourceRevisionRef?.utf8.count == 40)
                #expect(e.externalEventRef?.utf8.count == 36)
                #expect(e.connectorTargetId != nil)
            }
            if e.eventType == .installation { #expect(e.connectorTargetId == nil && e.remoteId == nil) }
        }
        #expect(events.contains { ($0.externalEventRef ?? "").unicodeScalars.contains { !$0.isASCII } })
    }

    @Test func importListPageExportStatsVerifyBackup() throws {
        let file = try cli.generate(1000)
        let store = dir.sub("store")
        let imported = try cli.ok(["import", "--store", store, file])
        #expect(imported.text.hasPrefix("imported 1000 events in "))
        #expect(imported.text.hasSuffix(" events/s)\n"))
        let org = try firstOrganization(file)

        // Both flag forms give the same body; the body is the page JSON.
        let viaQuery = try cli.ok(["list", "--store", store, "--organization", org, "--query", "status=completed&limit=7"])
        let viaFlags = try cli.ok(["list", "--store", store, "--organization", org, "--status", "completed", "--limit", "7"])
        #expect(viaQuery.stdout == viaFlags.stdout)
        let page = try JSONParser.parse(viaQuery.stdout)
        #expect(page["items"]?.arrayValue?.count == 7)
        #expect(page["items"]!.arrayValue!.allSatisfy { $0["status"]?.stringValue == "completed" })

        // Paging to the end visits every event of the organization exactly once, newest first.
        let stats = try JSONParser.parse(try cli.ok(["stats", "--store", store, "--json"]).stdout)
        #expect(stats["events"]?.intValue == 1000)
        let orgStats = stats["organizations"]!.arrayValue!.first { $0["id"]?.stringValue == org }!
        var seen: [String] = []
        var cursor: String? = nil
        var pages = 0
        repeat {
            var args = ["list", "--store", store, "--organization", org, "--limit", "100"]
            if let cursor { args += ["--cursor", cursor] }
            let body = try JSONParser.parse(try cli.ok(args).stdout)
            seen += body["items"]!.arrayValue!.map { $0["id"]!.stringValue! }
            cursor = body["nextCursor"]?.stringValue
            pages += 1
        } while cursor != nil && pages < 100
        #expect(pages > 1)
        #expect(seen.count == orgStats["events"]?.intValue)
        #expect(Set(seen).count == seen.count)

        // Export, import into an empty store, export again: identical.
        let export1 = try cli.ok(["export", "--store", store])
        #expect(export1.lines.count == 1000)
        let exportFile = dir.sub("export.ndjson")
        try Data(export1.stdout).write(to: URL(fileURLWithPath: exportFile))
        try cli.ok(["import", "--store", dir.sub("copy"), "-"], stdinFile: exportFile)
        #expect(try cli.ok(["export", "--store", dir.sub("copy")]).stdout == export1.stdout)
        let orgExport = try cli.ok(["export", "--store", store, "--organization", org])
        #expect(orgExport.lines.count == orgStats["events"]?.intValue)

        // Verify, back up, verify the backup; it holds the same events.
        #expect(try cli.ok(["verify", "--store", store]).text.hasPrefix("ok: 1000 events"))
        try cli.ok(["backup", "--store", store, "--to", dir.sub("backup")])
        try cli.ok(["verify", "--store", dir.sub("backup")])
        #expect(try cli.ok(["export", "--store", dir.sub("backup")]).stdout == export1.stdout)
        let text = try cli.ok(["stats", "--store", store]).text
        #expect(text.contains("1000 events"))
        #expect(text.contains("connectorInstance+status"))
    }

    @Test func verifyListsDamagedIndexEntries() throws {
        let store = dir.sub("store")
        try cli.ok(["import", "--store", store, try cli.generate(40)])
        // Damage the indexes behind the store's back: drop one entry, add a stray one.
        let opened = try SyncEventStore.open(at: store)
        guard case .lmdb(let engine) = opened.backend else { return }
        try engine.storage.write { txn in
            var cursor = try txn.makeCursor(.indexes)
            _ = try cursor.first()
            let victim = try cursor.key
            _ = try txn.delete(.indexes, victim)
            var stray = victim
            stray[stray.count - 1] ^= 0xFF
            try txn.put(.indexes, stray, [])
        }
        opened.close()
        let r = try cli.run(["verify", "--store", store])
        #expect(r.status == 1)
        #expect(r.text.contains("missing organization index entry"))
        #expect(r.text.contains("stray organization index entry"))
        #expect(r.stderr.contains("2 problems"))
    }

    @Test func badLinesAreReportedAndNothingIsWritten() throws {
        let file = try cli.generate(50)
        let store = dir.sub("store")
        try cli.ok(["import", "--store", store, file])
        let before = try cli.ok(["export", "--store", store]).stdout

        var lines = try cli.generate(10, seed: 2, name: "more.ndjson").readLines()
        lines[1] = lines[1].replacingOccurrences(of: "\"connectorInstanceId\":\"cin_", with: "\"connectorInstanceId\":\"cix_")
        lines[3] = lines[3].replacingOccurrences(of: "\"startedAt\":", with: "\"startedAtX\":")
        lines[5] = String(lines[5].dropLast())
        lines[7] = lines[7].replacingOccurrences(of: "\"connectorType\":\"github\"", with: "\"connectorType\":\"gitlab\"")
        let bad = dir.sub("bad.ndjson")
        try (lines.joined(separator: "\n") + "\n").write(toFile: bad, atomically: true, encoding: .utf8)
        let r = try cli.run(["import", "--store", store, bad])
        #expect(r.status == 1)
        #expect(r.stderr.contains("line 2: field connectorInstanceId: TypeID must start with 'cin_'"))
        #expect(r.stderr.contains("line 4: field startedAt: is required"))
        #expect(r.stderr.contains("line 6: field json:"))
        #expect(r.stderr.contains("line 8: field connectorType: must be one of"))
        #expect(r.stderr.contains("4 bad lines"))
        #expect(r.stderr.contains("nothing was written"))
        #expect(try cli.ok(["export", "--store", store]).stdout == before)

        // An id already in the store is refused before anything is written.
        let overlap = dir.sub("overlap.ndjson")
        let fresh = try cli.generate(10, seed: 3, name: "fresh.ndjson").readLines()
        let old = try file.readLines()
        try ((fresh + [old[4]]).joined(separator: "\n") + "\n").write(toFile: overlap, atomically: true, encoding: .utf8)
        let d = try cli.run(["import", "--store", store, overlap])
        #expect(d.status == 1)
        #expect(d.stderr.contains("line 11: field id: an event with id cse_"))
        #expect(try cli.ok(["export", "--store", store]).stdout == before)

        // A bad first import does not even create the store.
        let none = try cli.run(["import", "--store", dir.sub("never"), bad])
        #expect(none.status == 1)
        #expect(!FileManager.default.fileExists(atPath: dir.sub("never")))
    }

    @Test func invalidListRequestExitsTwoWithTheBody() throws {
        let store = dir.sub("store")
        try cli.ok(["import", "--store", store, try cli.generate(20)])
        let org = try firstOrganization(dir.sub("events.ndjson"))
        let r = try cli.run(["list", "--store", store, "--organization", org, "--query", "limit=0&status=done"])
        #expect(r.status == 2)
        let body = try JSONParser.parse(r.stdout)
        #expect(body["error"]?.stringValue == "invalid_request")
        #expect(body["message"]?.stringValue == "limit: Too small: expected number to be >=1 (and 1 more)")
        // URLSearchParams decoding: a repeated name is a list (invalid), '+' is a space.
        let repeated = try cli.run(["list", "--store", store, "--organization", org, "--query", "status=failed&status=queued"])
        #expect(repeated.status == 2)
        #expect(repeated.text.contains("\"path\":[\"status\"]"))
        let flagsAfter = try cli.run(["list", "--store", store, "--organization", org, "--query", "status=failed", "--status", "queued"])
        #expect(flagsAfter.stdout == repeated.stdout)
        // A member with no grants sees nothing (200).
        let member = try cli.ok(["list", "--store", store, "--organization", org, "--viewer", "member", "--visible-instances", ""])
        #expect(member.text == #"{"items":[],"nextCursor":null}"#)
    }

    @Test func getShowsVisibleEventsOnly() throws {
        let file = try cli.generate(30)
        let store = dir.sub("store")
        try cli.ok(["import", "--store", store, file])
        let event = try SyncEvent(jsonLine: Array(try file.readLines()[0].utf8))
        let org = event.organizationId.description
        let got = try cli.ok(["get", "--store", store, "--organization", org, event.id.description])
        #expect(got.stdout == event.jsonBytes)
        let other = TypeID(prefix: .organization, high: 1, low: 2).description
        let notFound = try cli.run(["get", "--store", store, "--organization", other, event.id.description])
        #expect(notFound.status == 3)
        let hidden = try cli.run(["get", "--store", store, "--organization", org, "--viewer", "member",
                                  "--visible-instances", "", event.id.description])
        #expect(hidden.status == 3)
        let visible = try cli.ok(["get", "--store", store, "--organization", org, "--viewer", "member",
                                  "--visible-instances", event.connectorInstanceId.description, event.id.description])
        #expect(visible.stdout == event.jsonBytes)
    }

    @Test func benchPrintsOneLinePerRequest() throws {
        let file = try cli.generate(200)
        let store = dir.sub("store")
        try cli.ok(["import", "--store", store, file])
        let event = try SyncEvent(jsonLine: Array(try file.readLines()[0].utf8))
        let requests = dir.sub("requests.ndjson")
        try """
            {"organizationId": "\(event.organizationId)", "viewer": "admin", "query": "status=completed&limit=5"}
            {"organizationId": "\(event.organizationId)", "viewer": {"visibleInstances": ["\(event.connectorInstanceId)"]}, "query": "limit=3"}
            """.write(toFile: requests, atomically: true, encoding: .utf8)
        let r = try cli.ok(["bench", "--store", store, "--queries", requests, "--repeat", "5"])
        #expect(r.lines.count == 2)
        let first = try JSONParser.parse(String(r.lines[0]))
        #expect(first["query"]?.stringValue == "status=completed&limit=5")
        #expect(first["items"]?.intValue == 5)
        #expect(first["p50_us"] != nil && first["p99_us"] != nil)
    }

    @Test(arguments: [
        ["list", "--organization", "org_01h2xcejqtf2nbrexx3vqjhp41"],
        ["get", "--organization", "org_01h2xcejqtf2nbrexx3vqjhp41", "cse_01h2xcejqtf2nbrexx3vqjhp41"],
        ["export"], ["stats"], ["verify"], ["backup", "--to", "/tmp/unused-backup-target"],
        ["bench", "--queries", "/dev/null"],
    ])
    func readCommandsRefuseAMissingStore(arguments: [String]) throws {
        let missing = dir.sub("missing")
        let r = try cli.run(arguments + ["--store", missing])
        #expect(r.status == 1)
        #expect(r.stderr.contains("no store at \(missing); create one with `syncevents import --store \(missing)`"))
        #expect(!FileManager.default.fileExists(atPath: missing))
    }
}

extension String {
    /// The non-empty lines of the file at this path.
    func readLines() throws -> [String] {
        try String(contentsOfFile: self, encoding: .utf8).split(separator: "\n").map(String.init)
    }
}
