import ArgumentParser
import Foundation
import SyncEventStore

extension Import {
    /// The import into PostgreSQL: every line validated first (ids repeated within the file refused), then
    /// one PostgreSQL transaction for the whole input, so a duplicate id or any failure writes nothing.
    func runPostgres(start: Double) throws {
        var events: [SyncEvent] = []
        var lineOf: [Int] = []
        var problems: [String] = []
        var badLines = 0
        var firstLine: [TypeID: Int] = [:]
        func bad(_ line: Int, _ field: String, _ rule: String) {
            badLines += 1
            if problems.count < Import.maximumReported { problems.append("line \(line): field \(field): \(rule)") }
        }
        var linesRead = 0
        var progress = RateLine("validating")
        try forEachLineChunk(of: file) { lines, firstNumber in
            for (i, result) in Import.parse(lines).enumerated() {
                let number = firstNumber + i
                switch result {
                case .blank: continue
                case .bad(let error): bad(number, error.field, error.rule)
                case .event(let event):
                    if let earlier = firstLine.updateValue(number, forKey: event.id) {
                        firstLine[event.id] = earlier
                        bad(number, "id", "\(event.id) repeats the id of line \(earlier)")
                    } else if badLines == 0 {
                        events.append(event)
                        lineOf.append(number)
                    }
                }
            }
            linesRead += lines.count
            progress.update(events: events.count, lines: linesRead)
        }
        progress.finish()
        if badLines == 0 {
            let all = events
            do {
                try blocking { [store] in
                    let pg = try await store.connectPostgres(operationTimeout: .seconds(3600))
                    do { try await pg.record(contentsOf: all) } catch {
                        await pg.close()
                        throw error
                    }
                    await pg.close()
                }
            } catch let error as SyncEventStoreError {
                if case .duplicateID(let id) = error, let i = all.firstIndex(where: { $0.id == id }) {
                    bad(lineOf[i], "id", "an event with id \(id) is already in the store")
                } else {
                    throw Failure("importing into \(store.location) failed: \(error). Nothing was written.")
                }
            }
            if badLines == 0 {
                let seconds = monotonicSeconds() - start
                let rate = seconds > 0 ? Int(Double(events.count) / seconds) : events.count
                print("imported \(events.count) events in \(String(format: "%.2f", seconds)) s (\(rate) events/s)")
                return
            }
        }
        for p in problems { note(p) }
        if badLines > problems.count { note("… and \(badLines - problems.count) more bad lines") }
        note("Error: \(badLines) bad line\(badLines == 1 ? "" : "s") in \(file == "-" ? "stdin" : file); nothing was written. Fix them and import again.")
        throw ExitCode(1)
    }
}
