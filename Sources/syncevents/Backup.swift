import ArgumentParser
import Foundation
import SyncEventStore

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a compacted, consistent copy of a store; writers may keep running.",
        discussion: """
            The copy is a snapshot of the last committed transaction, compacted (free pages dropped). DIR2 must not hold a store; it is created when missing. The copy is an ordinary store.

            Example:
              syncevents backup --store /tmp/events --to /tmp/events-backup
              syncevents verify --store /tmp/events-backup
            """
    )

    @OptionGroup var store: StoreOption

    @Option(help: ArgumentHelp("The directory to write the copy into.", valueName: "DIR2"))
    var to: String

    func run() throws {
        if store.postgres != nil {
            throw Failure("backup copies an embedded store (--store); back a PostgreSQL store up with pg_dump, or `syncevents export --postgres URL`")
        }
        let store = try store.openExisting()
        defer { store.close() }
        let start = monotonicSeconds()
        do {
            try store.backup(to: to)
        } catch {
            throw Failure("backup to \(to) failed: \(error)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: (to as NSString).appendingPathComponent("data.mdb"))[.size] as? Int) ?? 0
        print("backed up \(self.store.path) to \(to): \(size) bytes in \(String(format: "%.2f", monotonicSeconds() - start)) s")
    }
}
