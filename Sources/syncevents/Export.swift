import ArgumentParser
import SyncEventStore

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a store's events as NDJSON to stdout, in id order.",
        discussion: """
            The output is what `import` reads: exporting, importing into an empty store and exporting again gives the same bytes. The export is one consistent snapshot.

            Example:
              syncevents export --store /tmp/events > all.ndjson
              syncevents export --store /tmp/events --organization $ORG | wc -l
            """
    )

    @OptionGroup var store: StoreOption

    @Option(help: ArgumentHelp("Only this organization's events.", valueName: "ORG"))
    var organization: String?

    func run() throws {
        let org = try organization.map { try parseID($0, .organization, option: "--organization") }
        if store.postgres != nil {
            try store.withStore { store in
                var out = Output()
                try await store.exportEvents(organization: org, batchSize: 5000) { events in
                    for event in events {
                        event.writeJSON(to: &out.buffer, includingOrganization: true)
                        out.buffer.append(UInt8(ascii: "\n"))
                    }
                    out.flushIfFull()
                    return true
                }
                out.flush()
            }
            return
        }
        let store = try store.openExisting()
        defer { store.close() }
        var out = Output()
        try store.forEachEvent(organization: org) { event in
            event.writeJSON(to: &out.buffer, includingOrganization: true)
            out.buffer.append(UInt8(ascii: "\n"))
            out.flushIfFull()
            return true
        }
        out.flush()
    }
}
