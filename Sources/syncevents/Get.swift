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

    // PROVISIONAL until the write side's `store.event(id:as:)` and its body constants land on main.
    static let notFoundBody = Array(#"{"error":"not_found"}"#.utf8)
    static let forbiddenBody = Array(#"{"error":"forbidden"}"#.utf8)

    func run() throws {
        let who = try viewer.resolve()
        let store = try store.openExisting()
        defer { store.close() }
        guard let id = TypeID.parse(id, prefix: .event), let event = try store.event(id: id) else {
            writeBody(Get.notFoundBody)
            throw ExitCode(3)
        }
        switch who {
        case .admin(let org):
            guard event.organizationId == org else {
                writeBody(Get.notFoundBody)
                throw ExitCode(3)
            }
        case .member(let org, let visible):
            guard event.organizationId == org else {
                writeBody(Get.notFoundBody)
                throw ExitCode(3)
            }
            guard visible.contains(event.connectorInstanceId) else {
                writeBody(Get.forbiddenBody)
                throw ExitCode(3)
            }
        }
        writeBody(event.jsonBytes)
    }
}
