import Foundation
import ReliabilitySupport
import Testing

@testable import SyncEventStore

/// The crash suite (RELIABILITY.md): a child process runs random durable writes and is SIGKILLed at
/// random moments. After each kill the store opens, verifies, and holds exactly the writes the child
/// reported committed, plus or minus the one it was in the middle of; every backup reported done is a
/// complete copy of its moment, and a killed backup left nothing or a complete copy at its path.
///
/// `swift test` kills it a few times; `make crash` (CRASH_KILLS=200) runs the full suite.
@Suite("Crash suite", .serialized)
struct CrashSuiteTests {
    struct Figures: CustomStringConvertible {
        var kills = 0
        var committed = 0
        var refused = 0
        var inFlightApplied = 0
        var inFlightAbsent = 0
        var inFlightResumed = 0  // a chunked delete or prune killed between chunks, finished by a rerun
        var backupsChecked = 0
        var killedBackups = 0
        var damagedKilledBackups = 0
        var imports = 0
        var importsFinished = 0
        var killedImportsWhole = 0
        var killedImportsAbsent = 0
        var events = 0
        var description: String {
            "\(kills) kills survived, \(committed) committed writes checked (+\(refused) refused), "
                + "in-flight write found applied \(inFlightApplied)× (\(inFlightResumed) of them chunked and finished by a rerun) and absent \(inFlightAbsent)×, "
                + "\(backupsChecked) finished backups compared, \(killedBackups) killed backups checked (\(damagedKilledBackups) left a damaged copy), "
                + "\(imports) `syncevents import` runs (\(importsFinished) finished; killed ones found whole "
                + "\(killedImportsWhole)×, absent \(killedImportsAbsent)×), \(events) events at the end"
        }
    }

    let dir = TemporaryDirectory()

    @Test(.timeLimit(.minutes(60))) func killedWritersLoseNothingTheyReportedAndLeaveNoPartialWrite() throws {
        let kills = suiteSize("CRASH_KILLS", small: 6)
        let seed = UInt64(suiteSize("CRASH_SEED", small: Int.random(in: 1...1_000_000)))
        print("crash suite: seed \(seed) (CRASH_SEED=\(seed) repeats this run)")
        let figures = try run(kills: kills, seed: seed)
        print("crash suite (seed \(seed)): \(figures)")
        #expect(figures.kills == kills)
    }

    func run(kills: Int, seed: UInt64) throws -> Figures {
        let storePath = dir.sub("store")
        let backups = dir.sub("backups")
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        let model = SyncEventStore.inMemory()
        let modelApplier = CrashApplier(store: model, backupDirectory: "")
        var workload = CrashWorkload(seed: seed)
        var pending: [Int: CrashOperation] = [:]
        func operation(_ k: Int) -> CrashOperation {
            while workload.index <= k, let op = workload.next() { pending[workload.index - 1] = op }
            return pending.removeValue(forKey: k)!
        }
        var expectedBackups: [String: [SyncEvent]] = [:]
        func applyToModel(_ op: CrashOperation) -> Bool {
            do {
                try modelApplier.apply(op) { name in expectedBackups[name] = try allEvents(model) }
                return true
            } catch {
                return false
            }
        }
        var figures = Figures()
        var next = 0
        var random = SeededRandomSource(seed: seed)
        for round in 0..<kills {
            // Every fifth round the process killed is `syncevents import` of 600 new events: all or none.
            if round % 5 == 4 {
                try importRound(round, seed: seed, store: storePath, model: model, figures: &figures, random: &random)
                modelApplier.restart()
                continue
            }
            let child = try WorkerProcess(
                ["crash", storePath, backups, String(seed), String(next)], in: dir, name: "crash-\(round)")
            // Early kills land in start-up and store creation, later ones in the middle of writes.
            usleep(UInt32(random.next() % 800_000))
            child.kill()
            try #require(child.wasKilled, "the writer exited on its own: \(child.stderr)")
            figures.kills += 1

            var begun: Int?
            var finished: [Int: Bool] = [:]
            for line in child.lines {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let k = Int(parts[1]) else { continue }
                switch parts[0] {
                case "begin": begun = k
                case "commit": finished[k] = true
                case "refused": finished[k] = false
                default: break
                }
            }
            var inFlight: (k: Int, op: CrashOperation)?
            if let last = begun {
                for k in next...last {
                    let op = operation(k)
                    guard let committed = finished[k] else {
                        inFlight = (k, op)
                        break
                    }
                    let applied = applyToModel(op)
                    try #require(
                        applied == committed,
                        "operation \(k) (\(op)): the child said \(committed ? "committed" : "refused"), the model \(applied ? "applied" : "refused") it"
                    )
                    if committed { figures.committed += 1 } else { figures.refused += 1 }
                }
                next = last + 1
            }

            // The store opens, verifies and holds the model's events, with or without the write in flight.
            let store = try SyncEventStore.open(at: storePath)
            let problems = try store.verifyIndexes()
            var actual = try allEvents(store)
            store.close()
            try #require(problems.isEmpty, "verify after kill \(round): \(problems.prefix(5))")
            var expected = try allEvents(model)
            if actual != expected, let (k, op) = inFlight {
                let before = expected
                _ = applyToModel(op)
                expected = try allEvents(model)
                if actual != expected, op.isChunked {
                    // Deletes and prune work in bounded transactions (issue 9): a kill may land between two
                    // chunks. Each chunk is atomic, so the store holds `before` less some of the events the
                    // operation deletes, none changed; calling it again finishes the job.
                    let was = Dictionary(before.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
                    try #require(
                        actual.allSatisfy { was[$0.id] == $0 } && Set(expected.map(\.id)).isSubset(of: actual.map(\.id)),
                        "after kill \(round), the store is not between before and after the chunked operation \(k) (\(op)): \(difference(actual, expected))"
                    )
                    let again = try SyncEventStore.open(at: storePath)
                    try CrashApplier(store: again, backupDirectory: backups).apply(op)
                    actual = try allEvents(again)
                    again.close()
                    figures.inFlightResumed += 1
                }
                try #require(
                    actual == expected,
                    "after kill \(round), the store is neither before nor after operation \(k) (\(op)): \(difference(actual, expected))"
                )
                figures.inFlightApplied += 1
            } else {
                try #require(
                    actual == expected,
                    "after kill \(round) the store differs from the committed writes: \(difference(actual, expected))")
                if inFlight != nil { figures.inFlightAbsent += 1 }
            }
            modelApplier.restart()

            // Backups: a finished one is a complete copy of its moment; a killed one is absent or complete.
            var killedBackup: String?
            if case .backup(let name)? = inFlight?.op {
                killedBackup = name
                expectedBackups[name] = expected
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: backups) {
                let path = backups + "/" + name
                defer { try? FileManager.default.removeItem(atPath: path) }
                guard let events = expectedBackups.removeValue(forKey: name) else { continue }
                let copy = try backupEvents(path)
                if name == killedBackup {
                    figures.killedBackups += 1
                    if copy != events {
                        figures.damagedKilledBackups += 1
                        // Backups are written to a temporary name and renamed (issue 10): a killed
                        // backup leaves nothing, or a complete copy, at its path.
                        Issue.record("killed backup \(name) left a copy that is not complete")
                    }
                } else {
                    try #require(copy == events, "finished backup \(name) is not its moment's copy")
                    figures.backupsChecked += 1
                }
            }
            if let killedBackup, expectedBackups.removeValue(forKey: killedBackup) != nil { figures.killedBackups += 1 }
            try #require(expectedBackups.isEmpty, "finished backups missing: \(expectedBackups.keys.sorted())")
            figures.events = expected.count
        }
        return figures
    }

    func importRound(
        _ round: Int, seed: UInt64, store storePath: String, model: SyncEventStore, figures: inout Figures,
        random: inout SeededRandomSource
    ) throws {
        // They end before the workload's first operation, so that its claims and finishes may take them.
        let configuration = EventGenerator.Configuration(
            events: 600, seed: seed &+ UInt64(round), endingAt: CrashWorkload.start)
        let events = Array(EventGenerator(configuration))
        let file = dir.sub("import-\(round).ndjson")
        var text: [UInt8] = []
        for e in events { text += e.ndjsonLine + [UInt8(ascii: "\n")] }
        try Data(text).write(to: URL(fileURLWithPath: file))
        let child = try WorkerProcess(
            ["import", "--store", storePath, file], in: dir, name: "import-\(round)", executable: CLIRunner.executable)
        usleep(UInt32(random.next() % 3_000_000))
        child.kill()
        figures.kills += 1
        figures.imports += 1
        let finished = !child.wasKilled
        if finished {
            try #require(child.process.terminationStatus == 0, "import \(round) failed: \(child.stderr)")
            figures.importsFinished += 1
        }
        let store = try SyncEventStore.open(at: storePath)
        let problems = try store.verifyIndexes()
        let actual = try allEvents(store)
        store.close()
        try #require(problems.isEmpty, "verify after import \(round): \(problems.prefix(5))")
        let before = try allEvents(model)
        if actual == before {
            try #require(!finished, "import \(round) reported success but its events are not there")
            figures.killedImportsAbsent += 1
            return
        }
        try model.record(contentsOf: events)
        let after = try allEvents(model)
        try #require(actual == after, "after import \(round) the store holds part of it: \(difference(actual, after))")
        if !finished { figures.killedImportsWhole += 1 }
        figures.events = after.count
    }

    /// The events of a backup, read by `syncevents` in a process of its own (a damaged copy must not
    /// take the test down); `nil` when it fails to open, verify or export.
    func backupEvents(_ path: String) throws -> [SyncEvent]? {
        let cli = CLIRunner(dir: dir)
        guard try cli.run(["verify", "--store", path]).status == 0 else { return nil }
        let export = try cli.run(["export", "--store", path])
        guard export.status == 0 else { return nil }
        return try export.stdout.split(separator: UInt8(ascii: "\n")).map { try SyncEvent(jsonLine: $0) }
    }

    func difference(_ actual: [SyncEvent], _ expected: [SyncEvent]) -> String {
        let a = Dictionary(actual.map { ($0.id, $0) }, uniquingKeysWith: { x, _ in x })
        let e = Dictionary(expected.map { ($0.id, $0) }, uniquingKeysWith: { x, _ in x })
        let missing = e.keys.filter { a[$0] == nil }
        let extra = a.keys.filter { e[$0] == nil }
        let changed = e.keys.filter { a[$0] != nil && a[$0] != e[$0] }
        return
            "\(actual.count) events vs \(expected.count) expected; missing \(missing.prefix(3)), unexpected \(extra.prefix(3)), changed \(changed.prefix(3).map { "\(a[$0]!) vs \(e[$0]!)" })"
    }
}
