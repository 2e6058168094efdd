import ArgumentParser
import Foundation
import Synchronization
import SyncEventStore
import SyncEventStorePostgres

/// Runs async work from a synchronous command and waits for it (the CLI's commands are synchronous;
/// the PostgreSQL store is async).
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let r: Result<T, any Error>
        do { r = .success(try await body()) } catch { r = .failure(error) }
        result.withLock { $0 = r }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}

extension StoreOption {
    /// Where the store is, for messages.
    var location: String { postgres ?? path }

    /// Connects to the PostgreSQL store of `--postgres` (creating its schema when missing).
    func connectPostgres(operationTimeout: Duration = .seconds(30), maximumConnections: Int = 4) async throws
        -> PostgresSyncEventStore
    {
        var configuration: PostgresStoreConfiguration
        do { configuration = try PostgresStoreConfiguration(url: postgres ?? "") } catch { throw Failure("--postgres: \(error)") }
        configuration.maximumConnections = maximumConnections
        configuration.operationTimeout = operationTimeout
        do { return try await PostgresSyncEventStore.connect(configuration) } catch {
            throw Failure("cannot open the PostgreSQL store at \(configuration.host):\(configuration.port)/\(configuration.database): \(error)")
        }
    }

    /// Runs `body` with the store of `--store` (which must exist) or `--postgres`, and closes it.
    func withStore<T: Sendable>(_ body: @escaping @Sendable (any SyncEventStoring) async throws -> T) throws -> T {
        if postgres != nil {
            let option = self
            return try blocking {
                let store = try await option.connectPostgres()
                do {
                    let value = try await body(store)
                    await store.close()
                    return value
                } catch {
                    await store.close()
                    throw error
                }
            }
        }
        let store = try openExisting()
        defer { store.close() }
        return try blocking { try await body(store) }
    }
}
