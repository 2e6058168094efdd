import Foundation
import PostgresNIO
import SyncEventStore

/// How ``PostgresSyncEventStore`` reaches its database.
///
/// ```swift
/// var configuration = try PostgresStoreConfiguration(url: "postgres://den@127.0.0.1:5432/den")
/// configuration.maximumConnections = 10
/// let store = try await PostgresSyncEventStore.connect(configuration)
/// ```
public struct PostgresStoreConfiguration: Sendable {
    /// The server's host name or address.
    public var host: String
    /// The server's port.
    public var port: Int
    /// The role to log in as.
    public var username: String
    /// The role's password, if the server asks for one.
    public var password: String?
    /// The database.
    public var database: String
    /// The schema that holds the store's tables (created when missing). Several stores can share one
    /// database in different schemas. Letters, digits and `_`, at most 63 characters.
    public var schema: String = "public"
    /// The most connections the pool opens.
    public var maximumConnections: Int = 20
    /// How long opening a connection may take before the operation fails with
    /// ``SyncEventStoreError/unavailable(_:)``.
    public var connectTimeout: Duration = .seconds(10)
    /// The longest one operation may take (pool wait and statements); the server enforces it too
    /// (`statement_timeout`). Past it the operation fails with ``SyncEventStoreError/unavailable(_:)``
    /// and its transaction is rolled back.
    public var operationTimeout: Duration = .seconds(30)
    /// The record limits, as for the embedded store.
    public var limits = RecordLimits()

    /// A configuration from parts.
    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// A configuration from a libpq URL: `postgres://user[:password]@host[:port]/database`
    /// (`postgresql://` too). Query parameters `schema=NAME` and `sslmode=disable` are understood;
    /// other `sslmode`s are refused (the store speaks plain TCP, meant for a private network).
    /// - Throws: ``SyncEventStoreError/invalidArgument(_:)`` naming what is wrong with the URL.
    public init(url: String) throws(SyncEventStoreError) {
        guard let c = URLComponents(string: url), let scheme = c.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw .invalidArgument("not a PostgreSQL URL (postgres://user@host:port/database): \(url)")
        }
        guard let host = c.host, !host.isEmpty else { throw .invalidArgument("the PostgreSQL URL names no host: \(url)") }
        let database = String(c.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw .invalidArgument("the PostgreSQL URL names no database: \(url)") }
        self.init(
            host: host, port: c.port ?? 5432, username: c.user ?? "postgres", password: c.password,
            database: database.removingPercentEncoding ?? database)
        for item in c.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("schema", let v?): schema = v
            case ("sslmode", "disable"), ("sslmode", "prefer"), ("sslmode", "allow"): break
            case ("sslmode", let v): throw .invalidArgument("sslmode=\(v ?? "") is not supported; use sslmode=disable")
            default: throw .invalidArgument("unknown PostgreSQL URL parameter '\(item.name)'")
            }
        }
        try validateSchema()
    }

    func validateSchema() throws(SyncEventStoreError) {
        let ok = !schema.isEmpty && schema.utf8.count <= 63
            && schema.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
            && !(schema.utf8.first! >= 0x30 && schema.utf8.first! <= 0x39)
        guard ok else {
            throw .invalidArgument("schema '\(schema)' must be lowercase letters, digits and _, not starting with a digit, at most 63 characters")
        }
    }

    /// The pool's configuration.
    var clientConfiguration: PostgresClient.Configuration {
        var c = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: .disable)
        c.options.maximumConnections = max(1, maximumConnections)
        c.options.connectTimeout = connectTimeout
        let ms = max(1, operationTimeout.components.seconds * 1000 + operationTimeout.components.attoseconds / 1_000_000_000_000_000)
        c.options.additionalStartupParameters = [
            ("statement_timeout", String(ms)), ("lock_timeout", String(ms)),
            ("idle_in_transaction_session_timeout", String(ms * 2)), ("application_name", "SyncEventStore"),
        ]
        return c
    }

    /// `host:port/database`, for messages.
    var serverDescription: String { "\(host):\(port)/\(database)" }
}
