import Foundation
import SyncEventStore
@testable import SyncEventStorePostgres
import Testing

/// What only the PostgreSQL store has: its URL, its errors when the server is away, and its schema
/// versioning.
@Suite("PostgreSQL store")
struct PostgresStoreTests {
    @Test func urlsAreReadAsLibpqWritesThem() throws {
        let c = try PostgresStoreConfiguration(url: "postgres://den:s%40cret@db.internal:6543/events?schema=tenant_a")
        #expect(c.host == "db.internal" && c.port == 6543 && c.username == "den" && c.password == "s@cret")
        #expect(c.database == "events" && c.schema == "tenant_a")
        let d = try PostgresStoreConfiguration(url: "postgresql://postgres@127.0.0.1/postgres")
        #expect(d.port == 5432 && d.password == nil && d.schema == "public")
        for bad in ["mysql://x@h/db", "postgres://h", "postgres:///db", "postgres://u@h/db?schema=Bad-Name", "postgres://u@h/db?sslmode=require",
                    "postgres://u@h/db?pool=3"] {
            #expect(throws: SyncEventStoreError.self, "\(bad)") { try PostgresStoreConfiguration(url: bad) }
        }
    }

    /// A server that is not there: a clear `unavailable` error naming the server and the reason (no
    /// wall-clock bound here: on a loaded machine the test's own task may wait long for a thread).
    @Test func anUnreachableServerIsAClearError() async throws {
        // A port nothing listens on: bind one, note it, close it.
        let port = try freeLoopbackPort()
        var c = try PostgresStoreConfiguration(url: "postgres://postgres@127.0.0.1:\(port)/postgres")
        c.connectTimeout = .seconds(2)
        c.operationTimeout = .seconds(3)
        do {
            _ = try await PostgresSyncEventStore.connect(c)
            Issue.record("connected to a closed port")
        } catch {
            guard case .unavailable(let message) = error else {
                Issue.record("expected unavailable, got \(error)")
                return
            }
            #expect(message.contains("127.0.0.1:\(port)"))
            #expect(message.contains("refused"), "\(message)")
        }
    }

    /// A schema written by a newer library is refused on open, and nothing is changed.
    @Test(.enabled(if: StoreBackend.postgresURL != nil))
    func aNewerSchemaIsRefused() async throws {
        let opened = try await openStore(.postgres)
        let store = try #require(opened.store as? PostgresSyncEventStore)
        try await store.setSchemaVersion(99)
        await #expect(throws: SyncEventStoreError.incompatibleSchema(found: 99, supported: PostgresSchema.currentVersion)) {
            _ = try await PostgresSyncEventStore.connect(store.configuration)
        }
        // Reopening at the current version migrates nothing and keeps the cursor secret.
        try await store.setSchemaVersion(PostgresSchema.currentVersion)
        let again = try await PostgresSyncEventStore.connect(store.configuration)
        #expect(again.secret == store.secret)
        await again.close()
        await opened.close()
    }
}

/// A loopback port that was free a moment ago.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw CancellationError() }
    return Int(UInt16(bigEndian: address.sin_port))
}
