import ArgumentParser
import SyncEventStore

struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one event's JSON, as the caller may see it.",
        discussion: """
            Exit 0 with the event's JSON; exit 3 with the 404 body when no event of the organization has this id, or the 403 body when the viewer cannot see it.

            Example (ORG=org_…, CIN=cin_…, ID=cse_…):
              syncevents get --store /tmp/events --organization $ORG $ID
              syncevents get --store /tmp/events --organization $ORG \\
                --viewer member --visible-instances $CIN $ID
            """
    )

    @OptionGroup var store: StoreOption
    @OptionGroup var viewer: ViewerOptions

    @Argument(help: ArgumentHelp("The event id.", valueName: "ID"))
    var id: String

    func run() throws {
        let who = try viewer.resolve()
        // A text that is not an event id names no event: the same 404 as an unknown id.
        guard let id = TypeID.parse(id, prefix: .event) else {
            writeBody(EventLookup.notFoundBody)
            throw ExitCode(3)
        }
        switch try store.withStore({ try await $0.event(id: id, as: who) }) {
        case .found(let event):
            writeBody(event.jsonBytes)
        case .notFound:
            writeBody(EventLookup.notFoundBody)
            throw ExitCode(3)
        case .forbidden:
            writeBody(EventLookup.forbiddenBody)
            throw ExitCode(3)
        }
    }
}
