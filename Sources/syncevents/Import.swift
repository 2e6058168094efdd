import ArgumentParser
import Foundation
import SyncEventStore

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load NDJSON events into a store (created when missing): all of them, or none.",
        discussion: """
            Every line is validated before anything is written. When a line is bad (or its id repeats an earlier line or an event already in the store), each bad line's number, field and rule are printed (up to 20), nothing is written, and the exit status is 1. Blank lines are skipped. Events are then written in transactions of --batch-size events. A progress bar is drawn on stderr when it is a terminal.

            Example:
              syncevents import --store /tmp/events events.ndjson
              syncevents generate --events 100000 \\
                | syncevents import --store /tmp/events -
            """
    )

    @OptionGroup var store: StoreOption

    @Argument(help: ArgumentHelp("The NDJSON file, or - for stdin.", valueName: "FILE|-"))
    var file: String = "-"

    @Option(help: "Events per write transaction.")
    var batchSize: Int = 50_000

    static let maximumReported = 20

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        let start = monotonicSeconds()
        var events: [SyncEvent] = []
        var lineOf: [Int] = []
        var problems: [String] = []
        var badLines = 0
        var firstLine: [TypeID: Int] = [:]
        let progress = ProgressBar("validating", total: 0)
        func bad(_ line: Int, _ field: String, _ rule: String) {
            badLines += 1
            if problems.count < Import.maximumReported { problems.append("line \(line): field \(field): \(rule)") }
        }
        var linesRead = 0
        try forEachLineChunk(of: file) { lines, firstNumber in
            let parsed = Import.parse(lines)
            for (i, result) in parsed.enumerated() {
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
            if progress.enabled { Output.writeAll(2, Array("\rvalidating: \(linesRead) lines".utf8)) }
        }
        progress.finish()
        if badLines == 0, store.postgres != nil {
            // PostgreSQL: one transaction for the whole input, so a duplicate id or any failure writes nothing.
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
        } else if badLines == 0 {
            // Ids already in the store are refused before anything is written, so the store stays as it was.
            // Start the map near its final size: a full map aborts the transaction, grows, and retries it.
            var configuration = Configuration()
            configuration.initialMapSize = max(64 << 20, events.count * 2048)
            let store = try self.store.open(configuration: configuration)
            defer { store.close() }
            if try store.count > 0 {
                for (i, e) in events.enumerated() where try store.event(id: e.id) != nil {
                    bad(lineOf[i], "id", "an event with id \(e.id) is already in the store")
                }
            }
            if badLines == 0 {
                try write(events, lineOf: lineOf, to: store)
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

    enum Parsed {
        case blank
        case event(SyncEvent)
        case bad(RecordValidationError)
    }

    /// Decodes and validates lines on every core; results in line order.
    static func parse(_ lines: [ArraySlice<UInt8>]) -> [Parsed] {
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, max(1, lines.count / 256))
        var results = [Parsed](repeating: .blank, count: lines.count)
        results.withUnsafeMutableBufferPointer { buffer in
            // Each worker writes only its own range of `buffer`.
            nonisolated(unsafe) let out = buffer
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let range = (lines.count * w / workers)..<(lines.count * (w + 1) / workers)
                for i in range {
                    let line = lines[i]
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                    do {
                        out[i] = .event(try SyncEvent(jsonLine: Array(line)))
                    } catch let error as RecordValidationError {
                        out[i] = .bad(error)
                    } catch {
                        out[i] = .bad(RecordValidationError(field: "json", rule: "\(error)"))
                    }
                }
            }
        }
        return results
    }

    private func write(_ events: [SyncEvent], lineOf: [Int], to store: SyncEventStore) throws {
        // Newest first: index keys order by descending startedAt and ids grow with time, so each batch
        // then touches a few neighbouring pages of every index instead of pages all over the tree.
        let order = events.indices.sorted {
            (events[$0].startedAt, events[$0].id) > (events[$1].startedAt, events[$1].id)
        }
        let events = order.map { events[$0] }
        let lineOf = order.map { lineOf[$0] }
        var progress = ProgressBar("importing", total: events.count)
        var written = 0
        while written < events.count {
            let end = min(events.count, written + batchSize)
            do {
                try store.record(contentsOf: events[written..<end])
            } catch {
                progress.finish()
                let lines = lineOf[written..<end]
                throw Failure(
                    "writing a batch of \(end - written) events (lines \(lines.min()!)…\(lines.max()!) of the input) failed: \(error). "
                        + (written == 0
                            ? "Nothing was written."
                            : "\(written) events were written before it (the newest ones, by startedAt); "
                                + "export the store to see which, or import the whole input into a new store."))
            }
            written = end
            progress.update(written)
        }
        progress.finish()
    }
}
