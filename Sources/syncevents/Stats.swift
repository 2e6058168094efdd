import ArgumentParser
import Foundation
import SyncEventStore
import SyncEventStorePostgres

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show events per organization, status and event type; store, table and index sizes.",
        discussion: """
            Reads every record and index entry of one snapshot. Index bytes are those of the keys and values; table bytes are the LMDB pages.

            Example:
              syncevents stats --store /tmp/events
              syncevents stats --store /tmp/events --json | jq .indexes
            """
    )

    @OptionGroup var store: StoreOption

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let stats: StoreStatistics
        if store.postgres != nil {
            let option = store
            stats = try blocking {
                let pg = try await option.connectPostgres(operationTimeout: .seconds(600))
                do {
                    let s = try await pg.statistics()
                    await pg.close()
                    return s
                } catch {
                    await pg.close()
                    throw error
                }
            }
        } else {
            let store = try store.openExisting()
            defer { store.close() }
            stats = try store.statistics()
        }
        if json {
            var out: [UInt8] = []
            JSONWriter.write(Stats.json(stats), to: &out)
            out.append(UInt8(ascii: "\n"))
            Output.writeAll(1, out)
        } else {
            Output.writeAll(1, Array(Stats.text(stats, path: self.store.location).utf8))
        }
    }

    static func int(_ n: Int) -> JSONValue { .number(.integer(Int64(n))) }

    static func counts<K: RawRepresentable & CaseIterable>(_ d: [K: Int]) -> JSONValue where K.RawValue == String {
        .object(JSONObject(K.allCases.compactMap { k in d[k].map { (k.rawValue, int($0)) } }))
    }

    static func json(_ s: StoreStatistics) -> JSONValue {
        .object([
            "events": int(s.events),
            "sizeInBytes": int(s.sizeInBytes),
            "byStatus": counts(s.byStatus),
            "byEventType": counts(s.byEventType),
            "organizations": .array(s.organizations.map {
                .object([
                    "id": .string($0.id.description), "events": int($0.events),
                    "byStatus": counts($0.byStatus), "byEventType": counts($0.byEventType),
                ])
            }),
            "tables": .array(s.tables.map {
                .object(["name": .string($0.name), "entries": int($0.entries), "bytes": int($0.bytes)])
            }),
            "indexes": .array(s.indexes.map {
                .object(["name": .string($0.name), "entries": int($0.entries), "bytes": int($0.bytes)])
            }),
        ])
    }

    static func size(_ bytes: Int) -> String {
        if bytes < 10_000 { return "\(bytes) B" }
        if bytes < 10_000_000 { return String(format: "%.1f KB", Double(bytes) / 1e3) }
        return String(format: "%.1f MB", Double(bytes) / 1e6)
    }

    static func list<K: RawRepresentable & CaseIterable>(_ d: [K: Int]) -> String where K.RawValue == String {
        K.allCases.compactMap { k in d[k].map { "\(k.rawValue) \($0)" } }.joined(separator: ", ")
    }

    static func text(_ s: StoreStatistics, path: String) -> String {
        func pad(_ t: String, _ n: Int) -> String { t.count >= n ? t : t + String(repeating: " ", count: n - t.count) }
        func lpad(_ t: String, _ n: Int) -> String { t.count >= n ? t : String(repeating: " ", count: n - t.count) + t }
        var out = "store \(path): \(s.events) events, \(size(s.sizeInBytes))"
        if s.events > 0 { out += " (\(s.sizeInBytes / s.events) B/event)" }
        out += "\n\nby status:     \(list(s.byStatus))\nby event type: \(list(s.byEventType))\n\norganizations:\n"
        for o in s.organizations {
            out += "  \(o.id)  \(lpad(String(o.events), 9)) events  \(list(o.byStatus))\n"
        }
        out += "\ntables:\n"
        for t in s.tables {
            out += "  \(pad(t.name, 26)) \(lpad(String(t.entries), 10)) entries  \(lpad(size(t.bytes), 10))\n"
        }
        out += "\nindexes (key and value bytes):\n"
        for i in s.indexes {
            out += "  \(pad(i.name, 26)) \(lpad(String(i.entries), 10)) entries  \(lpad(size(i.bytes), 10))\n"
        }
        return out
    }
}
