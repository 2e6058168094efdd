import ArgumentParser
import Foundation
import SyncEventStore

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load NDJSON events into a store (created when missing): all of them, or none.",
        discussion: """
            The whole import is ONE write transaction, streamed: lines are read, validated and written as they come, in bounded memory, and committed together at the end with one durable commit. A killed or failed import leaves the store exactly as it was (no event of the file is stored), so running it again is always safe.

            When a line is bad (invalid JSON or field, or an id that repeats an earlier line or an event already in the store), writing stops, the rest of the file is still validated, each bad line's number, field and rule is printed (up to 20), the transaction is aborted (nothing is written) and the exit status is 1. Blank lines are skipped. On a terminal, stderr shows a progress line with the events read and the rate.

            Example:
              syncevents import --store /tmp/events events.ndjson
              syncevents generate --events 100000 \\
                | syncevents import --store /tmp/events -
            """
    )

    @OptionGroup var store: StoreOption

    @Argument(help: ArgumentHelp("The NDJSON file, or - for stdin.", valueName: "FILE|-"))
    var file: String = "-"

    static let maximumReported = 20

    func run() throws {
        let start = monotonicSeconds()
        if store.postgres != nil { return try runPostgres(start: start) }
        var problems: [String] = []
        var badLines = 0
        func bad(_ line: Int, _ field: String, _ rule: String) {
            badLines += 1
            if problems.count < Import.maximumReported { problems.append("line \(line): field \(field): \(rule)") }
        }
        let existed = FileManager.default.fileExists(atPath: self.store.path)
        // The whole map is reserved at open: the one transaction of `importEvents` never needs it to grow.
        let store = try self.store.open()
        var imported = 0
        var linesRead = 0
        var added = 0
        var progress = RateLine("importing")
        do {
            imported = try store.importEvents { importer in
                try forEachLineChunk(of: file) { lines, firstNumber in
                    var events: [SyncEvent] = []
                    var numbers: [Int] = []
                    events.reserveCapacity(lines.count)
                    numbers.reserveCapacity(lines.count)
                    for (i, result) in Import.parse(lines).enumerated() {
                        switch result {
                        case .blank: continue
                        case .bad(let error): bad(firstNumber + i, error.field, error.rule)
                        case .event(let event):
                            events.append(event)
                            numbers.append(firstNumber + i)
                        }
                    }
                    // Refusals of the store (limits, repeated ids) come back by position; report them in
                    // line order with the parse errors of this chunk.
                    if badLines > 0 { importer.abandon() }
                    for refusal in try importer.add(events) {
                        let line = numbers[refusal.offset]
                        switch refusal.error {
                        case .invalidRecord(let e): bad(line, e.field, e.rule)
                        case .duplicateID(let id):
                            let stored = !importer.duplicatesAreWithinImport && (try? store.event(id: id)) != nil
                            bad(line, "id", stored ? "an event with id \(id) is already in the store" : "\(id) repeats the id of an earlier line")
                        default: bad(line, "id", "\(refusal.error)")
                        }
                    }
                    linesRead += lines.count
                    added += events.count
                    progress.update(events: added, lines: linesRead)
                }
                if badLines > 0 { throw ImportHadBadLines() }
            }
        } catch is ImportHadBadLines {
        } catch let error as SyncEventStoreError where badLines > 0 {
            _ = error  // the refusal was reported with its line
        } catch {
            progress.finish()
            store.close()
            if !existed { try? FileManager.default.removeItem(atPath: self.store.path) }
            throw Failure("the import failed: \(error). Nothing was written.")
        }
        progress.finish()
        store.close()
        if badLines == 0 {
            let seconds = monotonicSeconds() - start
            let rate = seconds > 0 ? Int(Double(imported) / seconds) : imported
            print("imported \(imported) events in \(String(format: "%.2f", seconds)) s (\(rate) events/s)")
            return
        }
        if !existed { try? FileManager.default.removeItem(atPath: self.store.path) }
        problems.sort { lineNumber($0) < lineNumber($1) }
        for p in problems { note(p) }
        if badLines > problems.count { note("… and \(badLines - problems.count) more bad lines") }
        note("Error: \(badLines) bad line\(badLines == 1 ? "" : "s") in \(file == "-" ? "stdin" : file); nothing was written. Fix them and import again.")
        throw ExitCode(1)
    }

    private func lineNumber(_ problem: String) -> Int {
        Int(problem.dropFirst(5).prefix { $0.isNumber }) ?? 0
    }

    /// Thrown out of the import's transaction to abort it after bad lines were reported.
    struct ImportHadBadLines: Error {}

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
}

/// The progress line of a streaming import on stderr (when it is a terminal): events written and the rate.
struct RateLine {
    let label: String
    let enabled = stderrIsTerminal
    private let start = monotonicSeconds()
    private var lastDrawn = -1.0

    init(_ label: String) { self.label = label }

    mutating func update(events: Int, lines: Int) {
        guard enabled else { return }
        let now = monotonicSeconds()
        if now - lastDrawn < 0.1 { return }
        lastDrawn = now
        let rate = now > start ? Int(Double(events) / (now - start)) : 0
        Output.writeAll(2, Array("\r\u{1B}[2K\(label): \(lines) lines read, \(events) events (\(rate) events/s)".utf8))
    }

    func finish() {
        guard enabled else { return }
        Output.writeAll(2, Array("\r\u{1B}[2K".utf8))
    }
}
