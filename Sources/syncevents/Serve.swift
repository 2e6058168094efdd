import ArgumentParser
import Hummingbird
import Logging
import ServiceLifecycle
import SyncEventStore
import SyncEventStoreHTTP
import SyncEventStoreHummingbird

#if os(Linux)
/// glibc's `mallopt(3)` (declared in `<malloc.h>`, which the Glibc module does not export).
@_silgen_name("mallopt") private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
/// `M_TRIM_THRESHOLD` and `M_TOP_PAD` of `<malloc.h>`.
private let mallocTrimThreshold: Int32 = -1
private let mallocTopPad: Int32 = -2
#endif

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the store over HTTP: the list, detail and retry routes of the connector-sync-events API.",
        discussion: """
            Prints one line with http://HOST:PORT on stdout once it accepts connections (--port 0 takes a free port). Callers send Authorization: Bearer <token> or x-api-key: <token>, with tokens from --tokens FILE:
              {"tokens": {"<token>": {"organizationId": "org_…", "role": "admin"},
                          "<token2>": {"organizationId": "org_…", "role": "member",
                                       "grants": {"cin_…": "viewer", "cin_…": "editor"}}}}
            Without --tokens every API request is 401. GET /health and GET /openapi.yaml need no token. One access-log line per request goes to stderr. SIGINT or SIGTERM stops accepting, finishes the requests in flight, stops the workers and closes the store.

            The store is --store DIR (embedded, LMDB) or --postgres URL (PostgreSQL; several servers may share one database: cursors work on any of them, and claims are fenced across them).

            --workers N runs N reference sync workers in the process: each claims due events (claimDue, at most 4 at a time, 30 s lease), simulates the sync (--sync-time, default 0 ms) and finishes each as completed, merging {"worker": "<pid>/<n>"} into its summaryJson. Each worker prints one line per claim and one per finish on stdout:
              syncevents serve: worker <pid>/<n> claimed <event id> token <claim token>
              syncevents serve: worker <pid>/<n> completed <event id>
            A claim or finish that fails prints "… failed to finish <event id>: <error>" (or "claim failed: <error>") on stderr and the worker carries on.

            Examples:
              syncevents serve --store /tmp/events --port 8080 --tokens tokens.json
              syncevents serve --postgres postgres://den@db:5432/den --workers 2 \\
                --tokens tokens.json
              curl -H 'Authorization: Bearer <token>' \\
                'http://127.0.0.1:8080/v1/connector-sync-events?status=failed&limit=5'
            """
    )

    @OptionGroup var store: StoreOption

    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on; 0 takes a free one.") var port = 8080
    @Option(help: ArgumentHelp("The JSON file of tokens and their callers.", valueName: "FILE")) var tokens: String?
    @Option(help: ArgumentHelp("Reference sync workers to run in the process (claim, sync, finish); 0 runs none.", valueName: "N"))
    var workers = 0
    @Option(help: ArgumentHelp("How long each worker's simulated sync takes, in milliseconds.", valueName: "MS"))
    var syncTime = 0

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535, not \(port)") }
        guard (0...64).contains(workers) else { throw ValidationError("--workers must be 0…64, not \(workers)") }
        guard (0...600_000).contains(syncTime) else { throw ValidationError("--sync-time must be 0…600000 ms, not \(syncTime)") }
    }

    func run() async throws {
        Self.keepFreedHeap()
        let table = try tokens.map { try TokenTable.load(path: $0) } ?? TokenTable()
        let opened = try await ServedStore.open(store, workers: workers)
        do {
            try await serve(opened, tokens: table)
        } catch {
            await opened.close()
            throw error
        }
        await opened.close()
    }

    /// Keeps freed heap memory in the process instead of handing it back to the kernel after each large
    /// response: a page is two ~30 KB buffers (the store's JSON and the response's `ByteBuffer`), and
    /// glibc's default trimming (at 128 KiB of free top) made the next request fault those pages in
    /// again. With a 64 MiB threshold a page request cost the server ~10–20 µs less CPU under `make load`
    /// (BENCHMARKS.md § HTTP); `/health` is unchanged. An embedding server can set the same.
    static func keepFreedHeap() {
        #if os(Linux)
        _ = mallopt(mallocTrimThreshold, 64 << 20)
        _ = mallopt(mallocTopPad, 16 << 20)
        #endif
    }

    /// Runs the server (and the workers) until SIGINT or SIGTERM; the caller closes the store after.
    private func serve(_ opened: ServedStore, tokens table: TokenTable) async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "syncevents.serve")
        let router = Self.router(store: opened.store, writes: opened.writes, tokens: table, logger: logger)
        let host = self.host
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let shown = host.contains(":") ? "[\(host)]" : host
                Output.writeAll(1, Array("syncevents serve: listening on http://\(shown):\(port)\n".utf8))
            },
            logger: logger)
        var members: [any Service] = [app]
        if workers > 0 {
            members.append(SyncWorkers(store: opened, count: workers, syncTime: .milliseconds(syncTime)))
        }
        // The group stops the services in reverse order on a signal: the workers finish their claims
        // first, then the server drains its requests; the store closes after `run()` returns.
        let services = ServiceGroup(
            configuration: .init(services: members, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await services.run()
    }

    /// The reference server's routes: `/health`, `/openapi.yaml` and the endpoint under `/v1`.
    static func router(
        store: any SyncEventStoring, writes: WriteQueue, tokens: TokenTable, logger: Logger
    ) -> Router<BasicRequestContext> {
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
        SyncEventsRoutes<BasicRequestContext>(store: store, writes: writes) { request, _ in tokens.caller(for: request) }
            .mount(on: router.group("v1"))
        return router
    }
}
