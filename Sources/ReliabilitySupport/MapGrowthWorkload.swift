import Foundation
import SyncEventStore

/// The other-processes suite's workload: writers in several processes add batches while the map grows;
/// readers in others check that every snapshot they read is consistent.
public enum MapGrowthWorkload {
    /// The organization of every event.
    public static let organization = TypeID(prefix: .organization, high: 7, low: 7)

    /// The connector instance of `writer`'s events.
    public static func instance(_ writer: Int) -> TypeID {
        TypeID(prefix: .connectorInstance, high: 7, low: UInt64(writer))
    }

    /// The id of event `index` of `batch` of `writer`.
    public static func id(writer: Int, batch: Int, index: Int) -> TypeID {
        TypeID(prefix: .event, high: 0x0190_0000_0000_0000 | UInt64(batch), low: UInt64(writer) << 32 | UInt64(index))
    }

    /// Writes `batches` batches of `size` events as `writer`, one transaction each, starting with the
    /// smallest map so that it grows many times.
    public static func write(store path: String, writer: Int, batches: Int, size: Int) throws {
        var configuration = Configuration()
        configuration.initialMapSize = 64 * 1024
        configuration.durability = .relaxed
        let store = try SyncEventStore.open(at: path, configuration: configuration)
        defer { store.close() }
        let pad = String(repeating: "x", count: 600)
        for batch in 0..<batches {
            let start = Timestamp(millisecondsSince1970: 1_767_225_600_000 + Int64(batch) * 1000)
            let events = (0..<size).map { i in
                SyncEvent(
                    id: id(writer: writer, batch: batch, index: i), organizationId: organization,
                    connectorInstanceId: instance(writer), connectorTargetId: nil, remoteId: "writer-\(writer)",
                    eventType: .repository, externalEventRef: "batch-\(batch)-\(i)", sourceRevisionRef: nil,
                    status: .completed,
                    summaryJson: [
                        "writer": .number(.integer(Int64(writer))), "batch": .number(.integer(Int64(batch))),
                        "size": .number(.integer(Int64(size))), "pad": .string(pad),
                    ],
                    startedAt: start, completedAt: start)
            }
            try store.record(contentsOf: events)
        }
    }

    /// Why a snapshot was not consistent.
    public struct Inconsistency: Error, CustomStringConvertible {
        /// What was seen.
        public let description: String
    }

    /// Reads for `seconds`, checking every snapshot; returns the number of reads.
    public static func read(store path: String, seconds: Double) throws -> Int {
        let store = try SyncEventStore.open(at: path)
        defer { store.close() }
        let deadline = Date().addingTimeInterval(seconds)
        var reads = 0
        var lastTotal = 0
        var seen: [TypeID] = []
        while Date() < deadline {
            // One snapshot: each batch seen whole, each writer's batches a prefix 0..<n.
            var batches: [Int: [Int: Int]] = [:]
            var total = 0
            var problem: String?
            try store.forEachEvent { event in
                guard let summary = event.summaryJson, case .number(.integer(let w))? = summary["writer"],
                    case .number(.integer(let b))? = summary["batch"]
                else {
                    problem = "event \(event.id) without its writer and batch"
                    return false
                }
                batches[Int(w), default: [:]][Int(b), default: 0] += 1
                total += 1
                if total % 97 == 0 { seen.append(event.id) }
                return true
            }
            if let problem { throw Inconsistency(description: problem) }
            for (writer, counts) in batches {
                let size = counts.values.max() ?? 0
                if counts.values.contains(where: { $0 != size }) || Set(counts.keys) != Set(0..<counts.count) {
                    throw Inconsistency(
                        description: "writer \(writer): a snapshot with batches \(counts.sorted { $0.key < $1.key })")
                }
            }
            guard total >= lastTotal else {
                throw Inconsistency(description: "events went from \(lastTotal) to \(total)")
            }
            lastTotal = total
            // Later snapshots never see fewer events (writers only add).
            let count = try store.count
            let statistics = try store.statistics()
            guard count >= total, statistics.events >= count else {
                throw Inconsistency(
                    description: "snapshot \(total), then count \(count), then statistics \(statistics.events)")
            }
            if let id = seen.randomElement() {
                guard try store.event(id: id) != nil else {
                    throw Inconsistency(description: "event \(id) disappeared")
                }
            }
            let page = try store.listResponse(
                query: [QueryItem(name: "limit", value: "100")], as: .admin(organization: organization))
            guard page.status == 200, page.itemCount == min(100, count) || page.itemCount > 0 || count == 0 else {
                throw Inconsistency(description: "a page of \(page.itemCount) items from \(count) events")
            }
            reads += 1
        }
        let problems = try store.verifyIndexes()
        guard problems.isEmpty else { throw Inconsistency(description: "verify: \(problems.prefix(3))") }
        return reads
    }
}
