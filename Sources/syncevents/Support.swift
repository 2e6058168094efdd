import ArgumentParser
import Foundation
import SyncEventStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error the user can act on: printed as `Error: <message>` on stderr, exit status 1.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// Buffered writes of bytes to a file descriptor (stdout by default).
struct Output {
    let fd: Int32
    /// Bytes not yet written; append to it directly, then call ``flushIfFull()``.
    var buffer: [UInt8] = []
    private let capacity: Int

    init(fd: Int32 = 1, capacity: Int = 1 << 20) {
        self.fd = fd
        self.capacity = capacity
        buffer.reserveCapacity(capacity + 4096)
    }

    mutating func write(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { flush() }
    }

    mutating func write(_ text: String) { write(text.utf8) }

    mutating func flushIfFull() {
        if buffer.count >= capacity { flush() }
    }

    mutating func flush() {
        Output.writeAll(fd, buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes every byte, retrying short writes; a broken pipe ends the process quietly.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE { exit(0) }
                    FileHandle.standardError.write("Error: cannot write output: \(String(cString: strerror(errno)))\n".data(using: .utf8)!)
                    exit(1)
                }
                offset += n
            }
        }
    }
}

/// Writes a line to stderr.
func note(_ text: String) {
    Output.writeAll(2, Array((text + "\n").utf8))
}

/// Whether stdout / stderr is a terminal.
var stdoutIsTerminal: Bool { isatty(1) == 1 }
var stderrIsTerminal: Bool { isatty(2) == 1 }

/// Writes a response body as is; a newline follows only on a terminal, so piped output is byte-exact.
func writeBody(_ body: [UInt8]) {
    Output.writeAll(1, body + (stdoutIsTerminal ? [UInt8(ascii: "\n")] : []))
}

/// The `--store DIR` (embedded store) or `--postgres URL` (PostgreSQL store) option shared by every
/// command that reads a store: exactly one of them.
struct StoreOption: ParsableArguments {
    @Option(name: .customLong("store"), help: ArgumentHelp("The store directory (or use --postgres).", valueName: "DIR"))
    var givenPath: String?

    /// The `--store` folder ("" when not given; an empty one given is refused by ``requirePath()``).
    var path: String { givenPath ?? "" }

    @Option(
        name: .customLong("postgres"),
        help: ArgumentHelp("A PostgreSQL store instead of --store: postgres://user@host:port/db[?schema=NAME].", valueName: "URL"))
    var postgres: String?

    func validate() throws {
        if givenPath == nil && postgres == nil { throw ValidationError("give the store: --store DIR or --postgres URL") }
        if givenPath != nil && postgres != nil { throw ValidationError("give either --store DIR or --postgres URL, not both") }
    }

    /// Opens the store, which must exist: read commands never create one.
    func openExisting(configuration: Configuration = Configuration()) throws -> SyncEventStore {
        try requirePath()
        var st = stat()
        if stat((path as NSString).appendingPathComponent("data.mdb"), &st) != 0 && (errno == EACCES || errno == EPERM) {
            throw Failure("cannot open the store at \(path): permission denied for this user (store folders are owner-only)")
        }
        guard FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("data.mdb")) else {
            throw Failure("no store at \(path); create one with `syncevents import --store \(path)`")
        }
        return try open(configuration: configuration)
    }

    /// Opens the store, creating it when missing.
    func open(configuration: Configuration = Configuration()) throws -> SyncEventStore {
        try requirePath()
        var configuration = configuration
        if configuration.progress == nil { configuration.progress = { note($0) } }
        do {
            return try SyncEventStore.open(at: path, configuration: configuration)
        } catch {
            throw Failure("cannot open the store at \(path): \(error)")
        }
    }
}

extension StoreOption {
    /// Refuses an empty `--store ''` (it would otherwise mean the current folder).
    func requirePath() throws {
        guard !path.isEmpty else { throw Failure("--store: the store path is empty; pass a folder path") }
    }
}

/// Parses an id given on the command line, naming the option and the rule on failure.
func parseID(_ text: String, _ prefix: TypeID.Prefix, option: String) throws -> TypeID {
    do {
        return try TypeID(parsing: text, expectingPrefix: prefix)
    } catch {
        throw Failure("\(option): \(error); pass a \(prefix.rawValue)_ id such as \(prefix.rawValue)_01h2xcejqtf2nbrexx3vqjhp41")
    }
}

/// `--organization` and `--viewer`/`--visible-instances`: who is asking.
struct ViewerOptions: ParsableArguments {
    enum Role: String, ExpressibleByArgument, CaseIterable {
        case admin, member
    }

    @Option(help: ArgumentHelp("The organization whose events to read.", valueName: "ORG"))
    var organization: String

    @Option(help: "admin sees every event of the organization; member only those of --visible-instances.")
    var viewer: Role?

    @Option(
        help: ArgumentHelp(
            "Comma-separated connector instance ids a member may see; '' for a member with no grants.",
            valueName: "IDS"))
    var visibleInstances: String?

    func resolve() throws -> Viewer {
        let org = try parseID(organization, .organization, option: "--organization")
        switch (viewer, visibleInstances) {
        case (.admin?, _?):
            throw Failure("--visible-instances applies to --viewer member only; drop it or use --viewer member")
        case (.admin?, nil), (nil, nil):
            return .admin(organization: org)
        case (.member?, nil):
            throw Failure("--viewer member needs --visible-instances ID,ID,… (use --visible-instances '' for a member with no grants)")
        case (_, let list?):
            var ids = Set<TypeID>()
            for piece in list.split(separator: ",", omittingEmptySubsequences: true) {
                let text = piece.trimmingCharacters(in: .whitespaces)
                if text.isEmpty { continue }
                ids.insert(try parseID(text, .connectorInstance, option: "--visible-instances"))
            }
            return .member(organization: org, visibleInstances: ids)
        }
    }
}

/// Seconds since an arbitrary start, monotonic.
func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
struct ProgressBar {
    let label: String
    let total: Int
    let enabled: Bool
    private var lastDrawn = -1.0

    init(_ label: String, total: Int) {
        self.label = label
        self.total = max(1, total)
        enabled = stderrIsTerminal
    }

    mutating func update(_ done: Int, force: Bool = false) {
        guard enabled else { return }
        let now = monotonicSeconds()
        if !force && now - lastDrawn < 0.1 { return }
        lastDrawn = now
        let fraction = min(1, Double(done) / Double(total))
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let percent = String(format: "%3d%%", Int(fraction * 100))
        Output.writeAll(2, Array("\r\(label) [\(bar)] \(percent) \(done)/\(total)".utf8))
    }

    func finish() {
        guard enabled else { return }
        Output.writeAll(2, Array("\r\u{1B}[2K".utf8))
    }
}

/// Reads a file (or stdin for `-`) in chunks of about 4 MiB and calls `body` with each chunk's
/// complete lines (without their newlines) and the 1-based number of the first of them.
func forEachLineChunk(of file: String, _ body: ([ArraySlice<UInt8>], Int) throws -> Void) throws {
    let fd: Int32
    if file == "-" {
        fd = 0
    } else {
        fd = Foundation.open(file, O_RDONLY)
        guard fd >= 0 else {
            throw Failure("cannot read \(file): \(String(cString: strerror(errno))); check the path, or pass - to read stdin")
        }
    }
    defer { if fd != 0 { close(fd) } }
    var pending: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4 << 20)
    var nextNumber = 1
    while true {
        let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress!, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw Failure("cannot read \(file == "-" ? "stdin" : file): \(String(cString: strerror(errno)))")
        }
        if n == 0 { break }
        pending.append(contentsOf: chunk[0..<n])
        guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else { continue }
        let lines = pending[..<lastNewline].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        try body(lines, nextNumber)
        nextNumber += lines.count
        pending.removeFirst(lastNewline + 1)
    }
    if !pending.isEmpty { try body([pending[...]], nextNumber) }
}

/// Calls `body` with each line of a file (or stdin for `-`) and its 1-based number.
func forEachLine(of file: String, _ body: (ArraySlice<UInt8>, Int) throws -> Void) throws {
    try forEachLineChunk(of: file) { lines, first in
        for (i, line) in lines.enumerated() { try body(line, first + i) }
    }
}
