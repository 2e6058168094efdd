import Foundation
import ServiceLifecycle
import SyncEventStore
import SyncEventStoreHTTP
import SyncEventStorePostgres

/// The store `serve` runs on: the embedded store of `--store` (whose durable writes run on a
/// ``WriteQueue``, off the cooperative pool) or the PostgreSQL store of `--postgres` (called through its
/// async API).
struct ServedStore: Sendable {
    let store: any SyncEventStoring
    let embedded: SyncEventStore?
    let writes: WriteQueue

    /// Opens the store of `option`: an existing `--store` folder, or `--postgres` (schema created when
    /// missing), with a pool large enough for the requests and `workers`.
    static func open(_ option: StoreOption, workers: Int) async throws -> ServedStore {
        if option.postgres != nil {
            let store = try await option.connectPostgres(maximumConnections: 8 + workers)
            return ServedStore(store: store, embedded: nil, writes: WriteQueue())
        }
        let store = try option.openExisting()
        return ServedStore(store: store, embedded: store, writes: WriteQueue(label: "syncevents.serve.writes"))
    }

    /// Closes the store (after the server and the workers have stopped).
    func close() async {
        if let embedded {
            embedded.close()
        } else if let postgres = store as? PostgresSyncEventStore {
            await postgres.close()
        }
    }

    /// `claimDue` on the write queue (embedded) or through the async API (PostgreSQL).
    func claimDue(now: Timestamp, limit: Int, lease: Duration) async throws -> [Claim] {
        if let embedded { return try await writes.run { try embedded.claimDue(now: now, limit: limit, lease: lease) } }
        return try await store.claimDue(now: now, limit: limit, lease: lease)
    }

    /// `finish` on the write queue (embedded) or through the async API (PostgreSQL).
    func finish(_ claim: Claim, summary: JSONObject, now: Timestamp) async throws -> SyncEvent {
        if let embedded {
            return try await writes.run { try embedded.finish(claim, as: .completed, summary: summary, now: now) }
        }
        return try await store.finish(claim, as: .completed, summary: summary, now: now)
    }
}

/// `serve --workers N`: N reference sync workers, each a loop of claim due events → simulate the sync →
/// finish as `completed` with `{"worker": "<pid>/<n>"}` merged into the summary, one stdout line per claim
/// and per finish. On graceful shutdown each worker finishes the claims it holds and stops.
struct SyncWorkers: Service {
    let store: ServedStore
    let count: Int
    let syncTime: Duration
    /// Events claimed per `claimDue` call.
    static let batch = 4
    /// The lease each claim takes (longer than any simulated sync here).
    static let lease = Duration.seconds(30)
    /// How long an idle worker waits before asking again.
    static let idle = Duration.milliseconds(100)

    /// Runs the workers until graceful shutdown; each finishes the claims it holds before it returns.
    func run() async throws {
        let pid = ProcessInfo.processInfo.processIdentifier
        await withTaskGroup(of: Void.self) { group in
            for n in 1...max(1, count) {
                group.addTask { await work(name: "\(pid)/\(n)") }
            }
        }
    }

    /// One worker's loop, until graceful shutdown (or cancellation).
    private func work(name: String) async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let claims: [Claim]
            do {
                claims = try await store.claimDue(now: .now, limit: Self.batch, lease: Self.lease)
            } catch {
                Self.say(2, "syncevents serve: worker \(name) claim failed: \(error)")
                try? await Task.sleep(for: Self.idle * 5)
                continue
            }
            if claims.isEmpty {
                try? await Task.sleep(for: Self.idle)
                continue
            }
            for claim in claims {
                Self.say(1, "syncevents serve: worker \(name) claimed \(claim.id) token \(claim.token)")
            }
            for claim in claims {
                // A claim already taken is finished even during shutdown: the sync is simulated, and an
                // abandoned claim would hold its target until the lease runs out.
                if syncTime > .zero { try? await Task.sleep(for: syncTime) }
                do {
                    _ = try await store.finish(claim, summary: ["worker": .string(name)], now: .now)
                    Self.say(1, "syncevents serve: worker \(name) completed \(claim.id)")
                } catch {
                    Self.say(2, "syncevents serve: worker \(name) failed to finish \(claim.id): \(error)")
                }
            }
        }
    }

    /// Writes one line to `fd` in one `write` (lines of several workers do not interleave).
    private static func say(_ fd: Int32, _ line: String) {
        Output.writeAll(fd, Array((line + "\n").utf8))
    }
}
