import Foundation
import SyncEventStore

extension Dataset {
    var sizesFile: URL { DatasetCache.directory.appendingPathComponent("sizes-\(label).md") }
    var sizesHeading: String { "Bytes on disk, \(label) events (store \(DatasetCache.storeFingerprint), peer \(DatasetCache.peerFingerprint))" }

    /// Whether the sizes file describes the cached files in use (each benchmark runs in its own process).
    var sizesAreCurrent: Bool {
        (try? String(contentsOf: sizesFile, encoding: .utf8))?.hasPrefix(sizesHeading) ?? false
    }

    /// Bytes on disk of each engine's cached files, per event, written to `.cache/sizes-<label>.md` for
    /// the report: the LMDB file and each of its databases (`mdb_stat -a`, from Debian's lmdb-utils, when
    /// installed), and SQLite's table, indexes and FTS5 index (`dbstat`).
    func writeSizes() throws {
        let n = Double(events)
        func perEvent(_ bytes: Int) -> String { String(format: "%.0f", Double(bytes) / n) }
        var lines = ["| engine | part | bytes | bytes/event |", "|---|---|---:|---:|"]
        let storeDirectory = DatasetCache.storePath(events: events)
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: storeDirectory + "/data.mdb")[.size] as? Int) ?? 0
        var used = 0
        for (name, bytes) in lmdbDatabaseSizes(storeDirectory) {
            lines.append("| LMDB store | database `\(name)` | \(bytes) | \(perEvent(bytes)) |")
            used += bytes
        }
        if used > 0 { lines.append("| LMDB store | **all databases (pages in use)** | \(used) | **\(perEvent(used))** |") }
        lines.append("| LMDB store | data.mdb file (incl. free pages) | \(fileSize) | \(perEvent(fileSize)) |")
        var total = 0
        var ftsBytes = 0
        for (name, bytes) in try peer.sizes() {
            lines.append("| SQLite | `\(name)` | \(bytes) | \(perEvent(bytes)) |")
            total += bytes
            if name.hasPrefix("event_fts") { ftsBytes += bytes }
        }
        lines.append("| SQLite | **table + indexes, no FTS5** | \(total - ftsBytes) | **\(perEvent(total - ftsBytes))** |")
        lines.append("| SQLite | **FTS5 trigram index** | \(ftsBytes) | **\(perEvent(ftsBytes))** |")
        lines.append("| SQLite | **all, FTS5 included** | \(total) | **\(perEvent(total))** |")
        let text = sizesHeading + "\n\n" + lines.joined(separator: "\n") + "\n"
        try text.write(to: sizesFile, atomically: true, encoding: .utf8)
    }

    /// (name, bytes in use) of each database of the LMDB environment, from `mdb_stat -a`.
    func lmdbDatabaseSizes(_ directory: String) -> [(String, Int)] {
        let tool = "/usr/bin/mdb_stat"
        guard FileManager.default.isExecutableFile(atPath: tool) else { return [] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-a", directory]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return [] }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var result: [(String, Int)] = []
        var name = "(main)"
        var pages = 0
        var pageSize = 4096
        func close() { if pages > 0 { result.append((name, pages * pageSize)) } }
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("Status of ") {
                close()
                name = String(line.dropFirst("Status of ".count))
                pages = 0
            } else if line.hasPrefix("Tree depth") || line.hasPrefix("Entries") {
                continue
            } else if let colon = line.firstIndex(of: ":"), let value = Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)) {
                let key = line[..<colon]
                if key == "Page size" { pageSize = value }
                if key == "Branch pages" || key == "Leaf pages" || key == "Overflow pages" { pages += value }
            }
        }
        close()
        return result.filter { $0.0 != "Main DB" && $0.0 != "(main)" }
    }
}
