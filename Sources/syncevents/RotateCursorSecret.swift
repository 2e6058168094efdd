import ArgumentParser
import SyncEventStore

struct RotateCursorSecret: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-cursor-secret",
        abstract: "Replace the secret that signs page cursors; every cursor issued before is refused.",
        discussion: """
            Use it when a cursor secret may have leaked (for example a copy of the store's files). Afterwards a list request with an older cursor gets the usual 400 answer on ["cursor"], in every process that has the store open.

            Example:
              syncevents rotate-cursor-secret --store /tmp/events
            """
    )

    @OptionGroup var store: StoreOption

    func run() throws {
        let store = try store.openExisting()
        defer { store.close() }
        do {
            try store.rotateCursorSecret()
        } catch {
            throw Failure("cannot rotate the cursor secret of \(self.store.path): \(error)")
        }
        print("rotated the cursor secret of \(self.store.path): earlier cursors are now refused")
    }
}
