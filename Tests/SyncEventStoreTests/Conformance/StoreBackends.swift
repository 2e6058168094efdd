import Foundation
import SyncEventStore
import SyncEventStorePostgres
import Testing

/// The three backends the conformance suite runs on. PostgreSQL runs when `SES_POSTGRES_URL` names a
/// server (`make test` starts a throwaway one); without it, locally, its arguments are left out.
enum StoreBackend: String, CustomTestStringConvertible, Sendable {
    case lmdb
    case memory
    case postgres
    var testDescription: String { rawValue }

    /// The server the PostgreSQL arguments use, from `SES_POSTGRES_URL`.
    static var postgresURL: String? {
        guard let url = ProcessInfo.processInfo.environment["SES_POSTGRES_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// The backends to test: all three when a PostgreSQL server is configured, else the embedded two.
    static var available: [StoreBackend] { postgresURL == nil ? [.lmdb, .memory] : [.lmdb, .memory, .postgres] }
}

/// A store under test and what it needs to clean up.
struct StoreUnderTest: Sendable {
    let store: any SyncEventStoring
    let backend: StoreBackend
    let close: @Sendable () async -> Void
    /// Another handle on the same data (PostgreSQL: a second pool on the same schema, as a second
    /// server process would have; embedded: the same store, which a process shares).
    let sibling: @Sendable () async throws -> (any SyncEventStoring, @Sendable () async -> Void)
}

/// Opens a fresh, empty store of `backend`: a temporary directory, memory, or a new schema of the
/// PostgreSQL database (dropped by `close`).
func openStore(_ backend: StoreBackend, configuration: Configuration = Configuration()) async throws -> StoreUnderTest {
    switch backend {
    case .lmdb, .memory:
        let dir = TemporaryDirectory()
        var configuration = configuration
        configuration.durability = .relaxed
        let store = backend == .lmdb
            ? try SyncEventStore.open(at: dir.sub("store"), configuration: configuration)
            : SyncEventStore.inMemory(configuration: configuration)
        return StoreUnderTest(
            store: store, backend: backend,
            close: { store.close(); _ = dir },
            sibling: { (store, {}) })
    case .postgres:
        var pg = try PostgresStoreConfiguration(url: StoreBackend.postgresURL!)
        pg.schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        pg.maximumConnections = 4
        pg.limits = configuration.limits
        let store = try await PostgresSyncEventStore.connect(pg)
        let config = pg
        return StoreUnderTest(
            store: store, backend: backend,
            close: {
                try? await store.dropSchema()
                await store.close()
            },
            sibling: {
                let other = try await PostgresSyncEventStore.connect(config)
                return (other, { await other.close() })
            })
    }
}
