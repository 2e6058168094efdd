import Foundation

/// Runs the built `syncevents` executable (next to the test bundle), with files for its output.
struct Syncevents {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A server started in the background.
    struct Running {
        let process: Process
        let stdoutPath: String
        let stderrPath: String

        /// The `http://HOST:PORT` of the ready line, once printed.
        func readyURL(timeout seconds: Double) -> String? {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let text = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
                if let match = text.firstMatch(of: /http:\/\/[^\s]+/) { return String(match.0) }
                if !process.isRunning { return nil }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return nil
        }
    }

    let dir: TemporaryDirectory

    static let executable: String = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundle.appendingPathComponent("syncevents").path,
                          bundle.deletingLastPathComponent().appendingPathComponent("syncevents").path]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    /// Starts `syncevents arguments…` and returns at once.
    func start(_ arguments: [String]) throws -> Running {
        let id = UUID().uuidString
        let running = Running(process: Process(), stdoutPath: dir.sub("out-\(id)"), stderrPath: dir.sub("err-\(id)"))
        FileManager.default.createFile(atPath: running.stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: running.stderrPath, contents: nil)
        running.process.executableURL = URL(fileURLWithPath: Self.executable)
        running.process.arguments = arguments
        running.process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: running.stdoutPath))
        running.process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: running.stderrPath))
        running.process.standardInput = FileHandle.nullDevice
        try running.process.run()
        return running
    }

    /// Runs `syncevents arguments…` to the end.
    func run(_ arguments: [String]) throws -> Result {
        let running = try start(arguments)
        running.process.waitUntilExit()
        return Result(
            status: running.process.terminationStatus,
            stdout: try String(contentsOfFile: running.stdoutPath, encoding: .utf8),
            stderr: try String(contentsOfFile: running.stderrPath, encoding: .utf8))
    }
}
