import Foundation
import Testing
@testable import SyncEventStore

/// Runs the real `syncevents` executable as a process, with files (not pipes) for its output so that
/// large outputs never block.
struct CLIRunner {
    struct Result {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
        /// The signal that ended the process, 0 when it exited.
        var signal: Int32 = 0
        var text: String { String(decoding: stdout, as: UTF8.self) }
        /// The stdout lines (without empty ones).
        var lines: [Substring] { text.split(separator: "\n") }
    }

    let dir: TemporaryDirectory

    /// `.build/debug/syncevents`, next to the test bundle or under the package root; built when missing.
    static let executable: String = {
        let fm = FileManager.default
        var candidates: [String] = []
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        candidates.append(argv0.appendingPathComponent("syncevents").path)
        candidates.append(argv0.deletingLastPathComponent().appendingPathComponent("syncevents").path)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/syncevents").path)
        if let found = candidates.first(where: { fm.isExecutableFile(atPath: $0) }) { return found }
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        build.arguments = ["swift", "build", "--product", "syncevents", "--package-path", root.path]
        try? build.run()
        build.waitUntilExit()
        return candidates.last!
    }()

    /// Runs `syncevents arguments…` with stdin from `stdinFile` (or empty).
    func run(_ arguments: [String], stdinFile: String? = nil) throws -> Result {
        let id = UUID().uuidString
        let outPath = dir.sub("stdout-\(id)")
        let errPath = dir.sub("stderr-\(id)")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIRunner.executable)
        process.arguments = arguments
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = try stdinFile.map { try FileHandle(forReadingFrom: URL(fileURLWithPath: $0)) }
            ?? FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let stdout = [UInt8](try Data(contentsOf: URL(fileURLWithPath: outPath)))
        let stderr = String(decoding: try Data(contentsOf: URL(fileURLWithPath: errPath)), as: UTF8.self)
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
        let signal = process.terminationReason == .uncaughtSignal ? process.terminationStatus : 0
        return Result(status: process.terminationStatus, stdout: stdout, stderr: stderr, signal: signal)
    }

    /// Runs and requires exit status 0, returning the result.
    @discardableResult
    func ok(_ arguments: [String], stdinFile: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> Result
    {
        let r = try run(arguments, stdinFile: stdinFile)
        #expect(r.status == 0, "syncevents \(arguments.joined(separator: " ")): \(r.stderr)", sourceLocation: sourceLocation)
        return r
    }

    /// Writes `n` generated events to a file in the test's directory and returns its path.
    func generate(_ n: Int, seed: Int = 1, name: String = "events.ndjson") throws -> String {
        let path = dir.sub(name)
        let r = try ok(["generate", "--events", String(n), "--seed", String(seed), "--organizations", "3",
                        "--instances", "12", "--targets", "60"])
        try Data(r.stdout).write(to: URL(fileURLWithPath: path))
        return path
    }
}

extension JSONValue {
    /// The member `key` of an object.
    subscript(_ key: String) -> JSONValue? {
        guard case .object(let o) = self else { return nil }
        return o[key]
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    var intValue: Int? {
        if case .number(.integer(let i)) = self { return Int(i) }
        return nil
    }
}
