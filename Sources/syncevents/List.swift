import ArgumentParser
import SyncEventStore

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the list endpoint's exact response body (GET /v1/connector-sync-events).",
        discussion: """
            --query takes a URL query string, decoded as URLSearchParams decodes it ('+' is a space, percent escapes, repeated names kept). The individual flags are taken literally and appended after it, in the order cursor, limit, connectorInstanceId, connectorTargetId, eventType, status, q. Exit 0 with the 200 body; exit 2 with the 400 body (still on stdout) for an invalid request. --viewer member with --visible-instances '' is a member with no grants.

            Examples (ORG=org_…, CIN=cin_…):
              syncevents list --store /tmp/events --organization $ORG \\
                --query 'status=failed&limit=5'
              syncevents list --store /tmp/events --organization $ORG \\
                --status failed --limit 5
              syncevents list --store /tmp/events --organization $ORG \\
                --viewer member --visible-instances $CIN --q 'fix typo'
              syncevents list --store /tmp/events --organization $ORG \\
                --cursor "$NEXT_CURSOR"
            """
    )

    @OptionGroup var store: StoreOption
    @OptionGroup var viewer: ViewerOptions

    @Option(help: ArgumentHelp("A raw URL query string, e.g. 'status=failed&limit=50'.", valueName: "RAW_QUERY_STRING"))
    var query: String?

    @Option(help: "The page cursor (a previous nextCursor).") var cursor: String?
    @Option(help: "Items per page, 1–100 (default 50).") var limit: String?
    @Option(help: ArgumentHelp("Only this connector instance.", valueName: "ID")) var connectorInstanceId: String?
    @Option(help: ArgumentHelp("Only this connector target.", valueName: "ID")) var connectorTargetId: String?
    @Option(help: ArgumentHelp("Only this event type.", valueName: "T")) var eventType: String?
    @Option(help: ArgumentHelp("Only this status.", valueName: "S")) var status: String?
    @Option(help: ArgumentHelp("Search text in externalEventRef and sourceRevisionRef.", valueName: "TEXT")) var q: String?

    /// The query items, in the documented order.
    var items: [QueryItem] {
        var items = query.map { URLQueryDecoding.decode($0) } ?? []
        let flags: [(String, String?)] = [
            ("cursor", cursor), ("limit", limit), ("connectorInstanceId", connectorInstanceId),
            ("connectorTargetId", connectorTargetId), ("eventType", eventType), ("status", status), ("q", q),
        ]
        for case let (name, value?) in flags { items.append(QueryItem(name: name, value: value)) }
        return items
    }

    func run() throws {
        let who = try viewer.resolve()
        let items = self.items
        let response = try store.withStore { try await $0.listResponse(query: items, as: who) }
        writeBody(response.body)
        switch response.status {
        case 200: return
        case 400: throw ExitCode(2)
        default: throw ExitCode(1)
        }
    }
}
