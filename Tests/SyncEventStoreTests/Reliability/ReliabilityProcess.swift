import Foundation

@testable import SyncEventStore

/// Runs `reliability-worker` (next to the test bundle, like `syncevents`) as a child process whose
/// stdout and stderr go to files, so that a killed child's last reported line is still there.
final class WorkerProcess {
    static let executable: String = {
        let syncevents = URL(fileURLWithPath: CLIRunner.executable)
        return syncevents.deletingLastPathComponent().appendingPathComponent("reliability-worker").path
    }()

    let process = Process()
    let outPath: String
    let errPath: String

    init(_ arguments: [String], in dir: TemporaryDirectory, name: String, executable: String = WorkerProcess.executable)
        throws
    {
        outPath = dir.sub("\(name).out")
        errPath = dir.sub("\(name).err")
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// SIGKILLs the child (if it is still running) and waits for it.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func wait() { process.waitUntilExit() }

    /// Whether the child died of SIGKILL (rather than exiting on its own).
    var wasKilled: Bool { process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL }

    var lines: [Substring] {
        (try? String(contentsOfFile: outPath, encoding: .utf8))?.split(separator: "\n") ?? []
    }

    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
}

/// Every event of a store, in id order, from one snapshot.
func allEvents(_ store: SyncEventStore) throws -> [SyncEvent] {
    var events: [SyncEvent] = []
    try store.forEachEvent {
        events.append($0)
        return true
    }
    return events
}

/// A reliability suite's size: `small` in `swift test`, else from the environment variable (the full
/// runs of `make crash` and `make processes`).
func suiteSize(_ variable: String, small: Int) -> Int {
    ProcessInfo.processInfo.environment[variable].flatMap(Int.init) ?? small
}
