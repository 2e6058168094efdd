import Foundation
import Testing

@testable import SyncEventStore

/// Issue 10: `syncevents import` names the line and field of a repeated key, an unknown field, a lone
/// surrogate and a leading byte order mark, and writes nothing.
@Suite("syncevents import refuses rewritten lines")
struct ImportRefusalCLITests {
    let dir = TemporaryDirectory()
    var cli: CLIRunner { CLIRunner(dir: dir) }

    @Test func eachRewriteIsNamedWithItsLineAndField() throws {
        var lines = try cli.generate(6, seed: 4).readLines()
        let other = "org_01h2xcejqtf2nbrexx3vqjhp44"
        lines[0] = "\u{FEFF}" + lines[0]
        lines[1] = String(lines[1].dropLast()) + ",\"organizationId\":\"\(other)\"}"
        lines[2] = String(lines[2].dropLast()) + ",\"priority\":1}"
        lines[3] = lines[3].replacingOccurrences(of: "\"startedAt\":\"", with: "\"remoteId\":\"x\",\"startedAt\":\"")
        lines[4] = lines[4].replacingOccurrences(of: "\"connectorType\":", with: "\"x\":\"\\ud800\",\"connectorType\":")
        let file = dir.sub("bad.ndjson")
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let store = dir.sub("store")
        let r = try cli.run(["import", "--store", store, file])
        #expect(r.status == 1)
        #expect(r.stderr.contains("line 1: field json: the line starts with a byte order mark (U+FEFF)"))
        #expect(r.stderr.contains("line 2: field organizationId: the key \"organizationId\" appears more than once"))
        #expect(r.stderr.contains("line 3: field priority: is not a field of an event"))
        #expect(r.stderr.contains("line 4: field remoteId: the key \"remoteId\" appears more than once"))
        #expect(r.stderr.contains("line 5: field x: lone surrogate \\ud800"))
        #expect(r.stderr.contains("5 bad lines"))
        #expect(!r.stderr.contains("line 6"))
        // Nothing was written, and no event moved to the other organization.
        let listed = try cli.run(["export", "--store", store])
        #expect(listed.status != 0 || listed.stdout.isEmpty)
    }
}
