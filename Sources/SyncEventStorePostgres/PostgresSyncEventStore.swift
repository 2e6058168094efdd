import Foundation
import PostgresNIO
import SyncEventStore

/// The store on PostgreSQL, for backends whose replicas run on several machines: the same operations
/// (``SyncEventStoring``), answers, page bodies and cursors as the embedded ``SyncEventStore``.
///
/// Every operation is one transaction on a pooled connection. Open it once per process and share it:
///
/// ```swift
/// let store = try await PostgresSyncEventStore.connect(
///     try PostgresStoreConfiguration(url: "postgres://den@127.0.0.1:5432/den"))
/// let page = try await store.listResponse(query: [], as: .admin(organization: org))
/// await store.close()
/// ```
///
/// The schema is created on first use and migrated on open; a database whose schema is newer than this
/// library is refused with ``SyncEventStoreError/incompatibleSchema(found:supported:)``. An unreachable
/// server gives ``SyncEventStoreError/unavailable(_:)``.
public final class PostgresSyncEventStore: SyncEventStoring {
    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger: Logger
    /// The configuration the store was opened with.
    public let configuration: PostgresStoreConfiguration
    /// The per-database secret that authenticates page cursors (kept in the schema's meta table).
    let secret: [UInt8]
    /// Table names, schema-qualified and quoted.
    let t: Tables

    struct Tables: Sendable {
        let events, ids, targets, meta: String
        init(schema: String) {
            events = "\"\(schema)\".sync_events"
            ids = "\"\(schema)\".sync_event_ids"
            targets = "\"\(schema)\".sync_targets"
            meta = "\"\(schema)\".sync_meta"
        }
    }

    private init(client: PostgresClient, runner: Task<Void, Never>, logger: Logger,
                 configuration: PostgresStoreConfiguration, secret: [UInt8]) {
        self.client = client
        self.runner = runner
        self.logger = logger
        self.configuration = configuration
        self.secret = secret
        self.t = Tables(schema: configuration.schema)
    }

    /// Connects, creates or migrates the schema, and loads the cursor secret.
    /// - Throws: ``SyncEventStoreError/unavailable(_:)`` when the server cannot be reached,
    ///   ``SyncEventStoreError/incompatibleSchema(found:supported:)`` when the schema is newer than this
    ///   library, ``SyncEventStoreError/invalidArgument(_:)`` for a bad configuration.
    public static func connect(_ configuration: PostgresStoreConfiguration) async throws(SyncEventStoreError)
        -> PostgresSyncEventStore
    {
        try configuration.validateSchema()
        var logger = Logger(label: "SyncEventStorePostgres")
        logger.logLevel = .critical
        // One direct connection first: a server that is down or refuses the login fails here at once
        // with its reason, instead of leaving the pool's requests waiting until the operation timeout.
        do {
            var direct = PostgresConnection.Configuration(
                host: configuration.host, port: configuration.port, username: configuration.username,
                password: configuration.password, database: configuration.database, tls: .disable)
            direct.options.connectTimeout = .init(configuration.connectTimeout)
            let probe = try await PostgresConnection.connect(configuration: direct, id: 0, logger: logger)
            try? await probe.close()
        } catch {
            throw map(error, configuration)
        }
        let client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
        let runner = Task { await client.run() }
        do {
            let secret = try await PostgresSchema.prepare(
                client: client, tables: Tables(schema: configuration.schema), schema: configuration.schema,
                logger: logger, configuration: configuration)
            return PostgresSyncEventStore(client: client, runner: runner, logger: logger, configuration: configuration, secret: secret)
        } catch {
            runner.cancel()
            throw error
        }
    }

    /// Closes the pool. Later calls fail with ``SyncEventStoreError/closed`` or
    /// ``SyncEventStoreError/unavailable(_:)``.
    public func close() async {
        runner.cancel()
        _ = await runner.value
    }

    /// Runs `body` in one transaction (`BEGIN` … `COMMIT`, rolled back when it throws) within the
    /// operation timeout, mapping every failure to a ``SyncEventStoreError``.
    func transaction<R: Sendable>(
        readOnly: Bool = false, repeatable: Bool = false,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> R
    ) async throws(SyncEventStoreError) -> R {
        try await Self.transaction(client: client, logger: logger, configuration: configuration,
                                   readOnly: readOnly, repeatable: repeatable, body)
    }

    static func transaction<R: Sendable>(
        client: PostgresClient, logger: Logger, configuration: PostgresStoreConfiguration,
        readOnly: Bool = false, repeatable: Bool = false,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> R
    ) async throws(SyncEventStoreError) -> R {
        var begin = "BEGIN"
        if repeatable { begin += " ISOLATION LEVEL REPEATABLE READ" }
        if readOnly { begin += " READ ONLY" }
        let statement = begin
        let timeout = configuration.operationTimeout
        do {
            return try await withThrowingTaskGroup(of: R?.self) { group in
                group.addTask {
                    try await client.withConnection { conn in
                        try await conn.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        do {
                            let result = try await body(conn)
                            try await conn.query("COMMIT", logger: logger)
                            return result
                        } catch {
                            _ = try? await conn.query("ROLLBACK", logger: logger)
                            throw error
                        }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                guard let first = try await group.next() else { throw CancellationError() }
                group.cancelAll()
                guard let value = first else {
                    throw SyncEventStoreError.unavailable(
                        "no answer from PostgreSQL at \(configuration.serverDescription) within \(timeout)")
                }
                return value
            }
        } catch {
            throw map(error, configuration)
        }
    }

    /// A store error for what PostgresNIO (or the body) threw.
    static func map(_ error: any Error, _ configuration: PostgresStoreConfiguration) -> SyncEventStoreError {
        if let e = error as? SyncEventStoreError { return e }
        if let r = error as? CursorRefusal { return .invalidRequest(InvalidRequestError(details: [PageCursor.issue(r.failure)])) }
        if let e = error as? RecordValidationError { return .invalidRecord(e) }
        if let e = error as? PSQLError {
            if let state = e.serverInfo?[.sqlState] {
                let message = e.serverInfo?[.message] ?? state
                switch state {
                case "23505": return .invalidArgument("a uniqueness rule was broken: \(message)")
                case "57014", "55P03", "40001", "40P01":
                    return .unavailable("PostgreSQL at \(configuration.serverDescription) gave up: \(message) (\(state))")
                case "57P01", "57P02", "57P03", "08000", "08003", "08006":
                    return .unavailable("PostgreSQL at \(configuration.serverDescription) is shutting down or unreachable: \(message)")
                default: return .io(code: -1, message: "PostgreSQL error \(state): \(message)")
                }
            }
            let reason = e.underlying.map { String(describing: $0) } ?? String(describing: e.code)
            return .unavailable("cannot talk to PostgreSQL at \(configuration.serverDescription): \(reason)")
        }
        if error is CancellationError { return .unavailable("the operation was cancelled") }
        return .unavailable("PostgreSQL at \(configuration.serverDescription): \(error)")
    }
}
