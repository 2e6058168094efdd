import Foundation
import Testing
@testable import SyncEventStore

/// The "Damage" suite of issue 10: truncations and random byte flips of a small store. Each damaged copy
/// is opened by the real `syncevents` in child processes (`verify`, `export`, `stats`), so a crash is
/// seen as a signal instead of killing the test run. Every copy must give a clear error or a `verify`
/// report, never a crash (and `verify` never a bad memory access); and when `verify` says ok, `export` must give exactly the original events
/// (the checksum covers every record, so damage to a record is never a silently wrong answer).
///
/// `SES_DAMAGE_CASES` sets the number of random flips (default 40; the full run uses 1000).
@Suite("Damage")
struct DamageTests {
    struct Outcome {
        var crashed = 0
        var refused = 0  // clear error
        var reported = 0  // verify listed problems
        var harmless = 0  // verify ok, export identical
    }

    static var flipCases: Int { Int(ProcessInfo.processInfo.environment["SES_DAMAGE_CASES"] ?? "") ?? 40 }

    @Test func truncationsAndByteFlipsNeverCrashOrLie() throws {
        let dir = TemporaryDirectory()
        let cli = CLIRunner(dir: dir)
        let original = dir.sub("store")
        try cli.ok(["import", "--store", original, try cli.generate(300)])
        let reference = try cli.ok(["export", "--store", original]).stdout
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: original + "/data.mdb")))
        var outcome = Outcome()
        var random = SeededRandomSource(seed: 1010)

        func check(_ bytes: [UInt8], _ what: String) throws {
            let copy = dir.sub("copy")
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: copy + "/data.mdb"))
            let verify = try cli.runReportingSignals(["verify", "--store", copy])
            let export = try cli.runReportingSignals(["export", "--store", copy])
            let stats = try cli.runReportingSignals(["stats", "--store", copy])
            for (name, r) in [("verify", verify), ("export", export), ("stats", stats)] where r.signal != 0 {
                outcome.crashed += 1
                Issue.record("\(name) of a copy with \(what) died of signal \(r.signal): \(r.result.stderr.suffix(300))")
            }
            // `verify` checks LMDB's pages before walking them: it reports, it never stops on a bad access.
            // (`export` and `stats` trust LMDB; the CLI turns a bad access there into a clear error.)
            if verify.result.stderr.contains("bad memory access") {
                outcome.crashed += 1
                Issue.record("verify of a copy with \(what) hit a bad memory access instead of reporting the damage")
            }
            for r in [verify, export, stats] where r.signal == 0 && r.result.status != 0 {
                #expect(r.result.stderr.hasPrefix("Error: "), "\(what): \(r.result.stderr)")
            }
            if verify.signal == 0 && verify.result.status == 0 {
                if export.result.status == 0 {
                    #expect(export.result.stdout == reference, "\(what): verify says ok but export differs")
                    outcome.harmless += 1
                } else {
                    outcome.refused += 1
                }
            } else if verify.result.status == 1 && verify.result.text.isEmpty {
                outcome.refused += 1
            } else {
                outcome.reported += 1
            }
        }

        let pageSize = 4096
        for cut in [0, 1, 200, pageSize, 2 * pageSize - 1, 2 * pageSize, data.count / 3, data.count - 1] {
            try check(Array(data.prefix(cut)), "data.mdb cut to \(cut) bytes")
        }
        for i in 0..<Self.flipCases {
            var bytes = data
            let flips = 1 + Int(random.next() % 4)
            var at: [Int] = []
            for _ in 0..<flips {
                // Half the flips land in pages that hold records (the events table's leaves) or anywhere.
                let p = Int(random.next() % UInt64(bytes.count))
                bytes[p] ^= UInt8(1 << (random.next() % 8))
                at.append(p)
            }
            try check(bytes, "flip \(i) at \(at)")
        }
        print("Damage: \(Self.flipCases) flips + 8 truncations: \(outcome.refused) refused with an error, \(outcome.reported) reported by verify, \(outcome.harmless) harmless (verify ok, export identical), \(outcome.crashed) crashes")
        #expect(outcome.crashed == 0)
    }
}

extension DamageTests {
    /// A leaf node whose flags say "duplicate data" in a database that is not duplicate-sorted sends
    /// LMDB to a sub-cursor that does not exist (a null pointer); found by the flip suite on the bulk-import
    /// layout. Planted in each leaf page in turn: `verify` must report it from its own page check, or (a
    /// page no tree reaches any more) pass with `export` still giving the original events.
    @Test func aNodeFlaggedAsDuplicateDataIsReportedNotFollowed() throws {
        let dir = TemporaryDirectory()
        let cli = CLIRunner(dir: dir)
        let original = dir.sub("store")
        try cli.ok(["import", "--store", original, try cli.generate(300)])
        let reference = try cli.ok(["export", "--store", original]).stdout
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: original + "/data.mdb")))
        let pageSize = 4096
        func u16(_ o: Int) -> Int { Int(data[o]) | Int(data[o + 1]) << 8 }
        // Leaf pages (flags 0x02) that hold nodes and carry their own page number.
        let leaves = (2..<(data.count / pageSize)).filter { page in
            let at = page * pageSize
            let number = data[at..<(at + 8)].reversed().reduce(0) { $0 << 8 | Int($1) }
            return number == page && u16(at + 10) == 0x02 && u16(at + 12) > 16
        }
        var reported = 0
        for page in leaves.prefix(40) {
            var bytes = data
            let node = page * pageSize + u16(page * pageSize + 16)
            bytes[node + 4] |= 0x04
            let copy = dir.sub("copy-\(page)")
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: copy + "/data.mdb"))
            let verify = try cli.runReportingSignals(["verify", "--store", copy])
            #expect(verify.signal == 0)
            #expect(!verify.result.stderr.contains("bad memory access"), "page \(page): \(verify.result.stderr)")
            if verify.result.status == 0 {
                #expect(try cli.ok(["export", "--store", copy]).stdout == reference, "page \(page): verify ok, export differs")
            } else {
                // Reported by verify, or (the pages every open reads) refused by the open itself.
                let said = verify.result.text + verify.result.stderr
                #expect(said.contains("node flags"), "page \(page): \(said)")
                reported += 1
            }
        }
        #expect(reported >= 10, "only \(reported) of \(min(40, leaves.count)) planted flags reported")
    }
}

extension CLIRunner {
    /// Runs the command and reports the signal that ended it (0 when it exited).
    func runReportingSignals(_ arguments: [String]) throws -> (result: Result, signal: Int32) {
        let r = try run(arguments)
        return (r, r.signal)
    }
}
