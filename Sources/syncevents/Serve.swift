import ArgumentParser
import Hummingbird
import Logging
import ServiceLifecycle
import SyncEventStore
import SyncEventStoreHTTP
import SyncEventStoreHummingbird

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the store over HTTP: the list, detail and retry routes of the connector-sync-events API.",
        discussion: """
            Prints one line with http://HOST:PORT on stdout once it accepts connections (--port 0 takes a free port). Callers send Authorization: Bearer <token> or x-api-key: <token>, with tokens from --tokens FILE:
              {"tokens": {"<token>": {"organizationId": "org_…", "role": "admin"},
                          "<token2>": {"organizationId": "org_…", "role": "member",
                                       "grants": {"cin_…": "viewer", "cin_…": "editor"}}}}
            Without --tokens every API request is 401. GET /health and GET /openapi.yaml need no token. One access-log line per request goes to stderr. SIGINT or SIGTERM stops accepting, finishes the requests in flight and closes the store.

            Example:
              syncevents serve --store /tmp/events --port 8080 --tokens tokens.json
              curl -H 'Authorization: Bearer <token>' \\
                'http://127.0.0.1:8080/v1/connector-sync-events?status=failed&limit=5'
            """
    )

    @OptionGroup var store: StoreOption

    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on; 0 takes a free one.") var port = 8080
    @Option(help: ArgumentHelp("The JSON file of tokens and their callers.", valueName: "FILE")) var tokens: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535, not \(port)") }
    }

    func run() async throws {
        let table = try tokens.map { try TokenTable.load(path: $0) } ?? TokenTable()
        let store = try store.openExisting()
        defer { store.close() }
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "syncevents.serve")
        let router = Self.router(store: store, tokens: table, logger: logger)
        let host = self.host
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let shown = host.contains(":") ? "[\(host)]" : host
                Output.writeAll(1, Array("syncevents serve: listening on http://\(shown):\(port)\n".utf8))
            },
            logger: logger)
        let services = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await services.run()
    }

    /// The reference server's routes: `/health`, `/openapi.yaml` and the endpoint under `/v1`.
    static func router(store: SyncEventStore, tokens: TokenTable, logger: Logger) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: AccessLogMiddleware(logger: logger))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: JSONErrorMiddleware(otherRoutes: ["/health": "GET", "/openapi.yaml": "GET"]))
        router.get("health") { _, _ in
            SyncEventsRoutes<BasicRequestContext>.response(HTTPAnswer(status: 200, body: Array(#"{"ok":true}"#.utf8)))
        }
        router.get("openapi.yaml") { _, _ in
            SyncEventsRoutes<BasicRequestContext>.response(
                HTTPAnswer(status: 200, headers: ["content-type": "application/yaml"], body: OpenAPIDocument.yaml))
        }
        for path: RouterPath in ["health", "openapi.yaml"] {
            SyncEventsRoutes<BasicRequestContext>.rejectOtherMethods(on: router, path: path, allowed: .get)
        }
        SyncEventsRoutes<BasicRequestContext>(store: store) { request, _ in tokens.caller(for: request) }
            .mount(on: router.group("v1"))
        return router
    }
}
