// reliability-worker: the child processes of the crash and other-processes suites (RELIABILITY.md).
//
//     reliability-worker crash <store> <backup-dir> <seed> <first-op> [last-op]
//         Runs the CrashWorkload of <seed> from operation <first-op> on the LMDB store, printing
//         `begin K` before and `commit K` or `refused K` after each operation, each line written
//         unbuffered, until killed (or <last-op> is reached).
//     reliability-worker grow <store> <writer> <batches> <batch-size>
//         Writes <batches> batches of events whose summaries say `{"writer":W,"batch":B,"size":N}`,
//         each batch in one transaction, growing the map from 64 KiB. Prints `done` at the end.
//     reliability-worker read <store> <seconds>
//         For <seconds>, reads whole snapshots and checks each is consistent: every batch it sees is
//         complete and each writer's batches are a prefix; count and statistics agree. Prints
//         `reads N` at the end.
//     reliability-worker hold <store> <seconds>
//         Opens the store, prints `open`, keeps it open for <seconds> without touching it, closes it and
//         prints `closed`.
// Any error is printed to stderr and the exit status is 1.
import Foundation
import ReliabilitySupport
import SyncEventStore

func say(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    bytes.withUnsafeBytes { buffer in
        var done = 0
        while done < buffer.count {
            let n = write(1, buffer.baseAddress! + done, buffer.count - done)
            if n <= 0 { break }
            done += n
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("reliability-worker: \(message)\n".utf8))
    exit(1)
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "crash" where arguments.count >= 5:
        guard let seed = UInt64(arguments[3]), let first = Int(arguments[4]) else { fail("bad numbers") }
        let last = arguments.count > 5 ? Int(arguments[5]) ?? Int.max : Int.max
        let store = try SyncEventStore.open(at: arguments[1])
        let applier = CrashApplier(store: store, backupDirectory: arguments[2])
        var workload = CrashWorkload(seed: seed)
        while workload.index < first { _ = workload.next() }
        while workload.index < last, let operation = workload.next() {
            let k = workload.index - 1
            say("begin \(k)")
            do {
                try applier.apply(operation)
                say("commit \(k)")
            } catch let error as SyncEventStoreError {
                switch error {
                // Refusals change nothing; the checking parent gets the same answer from its model.
                case .notFound, .invalidTransition, .duplicateID, .invalidRecord, .leaseLost: say("refused \(k)")
                default: throw error
                }
            }
        }
        store.close()
    case "grow" where arguments.count == 5:
        guard let writer = Int(arguments[2]), let batches = Int(arguments[3]), let size = Int(arguments[4]) else {
            fail("bad numbers")
        }
        try MapGrowthWorkload.write(store: arguments[1], writer: writer, batches: batches, size: size)
        say("done")
    case "read" where arguments.count == 3:
        guard let seconds = Double(arguments[2]) else { fail("bad seconds") }
        let reads = try MapGrowthWorkload.read(store: arguments[1], seconds: seconds)
        say("reads \(reads)")
    case "hold" where arguments.count == 3:
        guard let seconds = Double(arguments[2]) else { fail("bad seconds") }
        let store = try SyncEventStore.open(at: arguments[1])
        say("open")
        Thread.sleep(forTimeInterval: seconds)
        store.close()
        say("closed")
    default:
        fail("usage: reliability-worker crash|grow|read|hold … (see the comment at the top of main.swift)")
    }
} catch {
    fail("\(error)")
}
