import ArgumentParser
import SyncEventStore

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every index entry against the records and every record against the indexes.",
        discussion: """
            Exit 0 when all agree; exit 1 listing each problem otherwise (restore a backup, or re-import an export into a new store, to repair).

            Example:
              syncevents verify --store /tmp/events
            """
    )

    @OptionGroup var store: StoreOption

    func run() throws {
        let start = monotonicSeconds()
        let (problems, count) = try store.withStore { store in
            (try await store.verifyIndexes(maximumProblems: 1000), try await store.count)
        }
        let seconds = monotonicSeconds() - start
        if problems.isEmpty {
            print("ok: \(count) events and their index entries agree (checked in \(String(format: "%.2f", seconds)) s)")
            return
        }
        for p in problems { print(p) }
        note("Error: \(problems.count) problem\(problems.count == 1 ? "" : "s") in \(self.store.location); restore a backup or re-import an export into a new store")
        throw ExitCode(1)
    }
}
