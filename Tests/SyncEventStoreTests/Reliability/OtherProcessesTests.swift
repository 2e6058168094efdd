import Foundation
import ReliabilitySupport
import Testing

@testable import SyncEventStore

/// The other-processes suite (RELIABILITY.md): writers in several processes add batches to one LMDB
/// store that starts with the smallest map, so the map grows many times, while readers in other
/// processes read whole snapshots. No process may see an error, and every snapshot must be consistent
/// (each batch whole, each writer's batches a prefix, later reads never see fewer events).
///
/// `swift test` runs it for a few seconds; `make processes` (PROCESSES_SECONDS=60) is the full run.
@Suite("Other processes suite", .serialized)
struct OtherProcessesTests {
    let dir = TemporaryDirectory()

    @Test(.timeLimit(.minutes(30))) func readersAndWritersInOtherProcessesWhileTheMapGrows() throws {
        let seconds = suiteSize("PROCESSES_SECONDS", small: 6)
        let store = dir.sub("store")
        var configuration = Configuration()
        configuration.initialMapSize = 64 * 1024
        try SyncEventStore.open(at: store, configuration: configuration).close()

        let writers = 2
        let batchSize = 40
        // Enough batches to keep the writers busy for about the readers' time.
        let batches = max(20, seconds * 12)
        let readers = (0..<3).map { i in
            try! WorkerProcess(["read", store, String(seconds)], in: dir, name: "reader-\(i)")
        }
        let writing = (0..<writers).map { w in
            try! WorkerProcess(
                ["grow", store, String(w), String(batches), String(batchSize)], in: dir, name: "writer-\(w)")
        }
        // Meanwhile, the CLI's readers, each a process of its own that opens the store while it grows.
        let cli = CLIRunner(dir: dir)
        let org = MapGrowthWorkload.organization.description
        let commands: [[String]] = [
            ["stats", "--store", store], ["verify", "--store", store],
            ["list", "--store", store, "--organization", org, "--limit", "100"],
            [
                "get", "--store", store, "--organization", org,
                MapGrowthWorkload.id(writer: 0, batch: 0, index: 0).description,
            ],
        ]
        var calls = 0
        var failures: [String] = []
        while writing.contains(where: { $0.process.isRunning }) {
            let command =
                calls % 5 == 4 ? ["backup", "--store", store, "--to", dir.sub("backup-\(calls)")] : commands[calls % 5]
            let r = try cli.run(command)
            // `get` may run before the first batch is written: its not-found exit is an answer, not an error.
            if r.status != 0, !(command[0] == "get" && r.stderr.contains("no event")) {
                failures.append("\(command[0]) exited \(r.status): \(r.stderr.prefix(200))")
            }
            try? FileManager.default.removeItem(atPath: dir.sub("backup-\(calls)"))
            calls += 1
        }
        for p in writing + readers { p.wait() }
        for failure in failures { Self.record("a CLI call: \(failure)") }

        for (w, p) in writing.enumerated() where p.process.terminationStatus != 0 {
            Self.record("writer \(w): \(p.stderr)")
        }
        var reads = 0
        for (i, p) in readers.enumerated() {
            if p.process.terminationStatus != 0 { Self.record("reader \(i): \(p.stderr)") }
            reads += p.lines.last.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
        let opened = try SyncEventStore.open(at: store)
        defer { opened.close() }
        let count = try opened.count
        if writing.allSatisfy({ $0.process.terminationStatus == 0 }) {
            #expect(count == writers * batches * batchSize)
        }
        #expect(try opened.verifyIndexes().isEmpty)
        let size = (try? FileManager.default.attributesOfItem(atPath: store + "/data.mdb")[.size] as? Int) ?? 0
        print(
            "other processes suite: \(readers.count) readers made \(reads) snapshot reads, \(calls) CLI calls (\(failures.count) failed, \(failures.filter { $0.contains("MDB_MAP_RESIZED") }.count) with MDB_MAP_RESIZED), \(writers) writers wrote \(count) events, store grew from 64 KiB to \(size / 1024) KiB"
        )
        #expect(reads > 0)
    }

    /// Records an error a process reported: any error fails the suite (another process's map growth is
    /// adopted, never reported).
    static func record(_ error: String, sourceLocation: SourceLocation = #_sourceLocation) {
        Issue.record(Comment(rawValue: error), sourceLocation: sourceLocation)
    }
}
