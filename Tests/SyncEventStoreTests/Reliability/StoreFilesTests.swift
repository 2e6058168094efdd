import Foundation
import Testing
@testable import SyncEventStore

/// Issue 10: damaged files refused before they are mapped, owner-only files, clear errors for paths.
@Suite("Store files")
struct StoreFilesTests {
    let dir = TemporaryDirectory()
    var cli: CLIRunner { CLIRunner(dir: dir) }

    func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int ?? -1) & 0o777
    }

    /// A small store made by the library, closed; returns its folder.
    func smallStore(_ name: String = "store", events: Int = 200) throws -> String {
        let path = dir.sub(name)
        let store = try SyncEventStore.open(at: path)
        try store.record(contentsOf: MapHandlingTests.events(events, seed: 21, bigSummary: false))
        store.close()
        return path
    }

    @Test func zeroLengthDataFileIsRefusedNotShownEmpty() throws {
        let path = try smallStore()
        FileManager.default.createFile(atPath: path + "/data.mdb", contents: Data())
        #expect {
            try SyncEventStore.open(at: path)
        } throws: { error in
            guard case SyncEventStoreError.corrupted(let m) = error else { return false }
            return m.contains("empty")
        }
        for command in [["stats"], ["verify"]] {
            let r = try cli.run(command + ["--store", path])
            #expect(r.status == 1, "\(command): \(r.text)")
            #expect(r.stderr.contains("is empty"), "\(command): \(r.stderr)")
        }
    }

    /// Every truncation of `data.mdb` gives a clear error in `stats`, `list` and `verify`, never a SIGBUS.
    @Test func truncatedDataFileIsRefusedNotSIGBUS() throws {
        let path = try smallStore(events: 600)
        let data = try Data(contentsOf: URL(fileURLWithPath: path + "/data.mdb"))
        #expect(data.count > 16 * 4096)
        for cut in [100, 4096, 8192 + 17, data.count / 2, data.count - 4096] {
            let copy = dir.sub("cut-\(cut)")
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            try data.prefix(cut).write(to: URL(fileURLWithPath: copy + "/data.mdb"))
            for command in [["stats"], ["verify"], ["list", "--organization", "org_00000000000000000000000000"]] {
                let r = try cli.run(command + ["--store", copy])
                #expect(r.status == 1, "\(command) of a copy cut at \(cut): status \(r.status) \(r.stderr)")
                #expect(r.stderr.contains("truncated"), "\(command) cut at \(cut): \(r.stderr)")
            }
        }
    }

    @Test func filesAreOwnerOnly() throws {
        let path = try smallStore()
        #expect(mode(path) == 0o700)
        #expect(mode(path + "/data.mdb") == 0o600)
        #expect(mode(path + "/lock.mdb") == 0o600)
        let store = try SyncEventStore.open(at: path)
        try store.backup(to: dir.sub("backup"))
        store.close()
        #expect(mode(dir.sub("backup")) == 0o700)
        #expect(mode(dir.sub("backup") + "/data.mdb") == 0o600)
        try cli.ok(["backup", "--store", path, "--to", dir.sub("backup2")])
        #expect(mode(dir.sub("backup2") + "/data.mdb") == 0o600)
    }

    @Test func badPathsGetClearErrors() throws {
        FileManager.default.createFile(atPath: dir.sub("afile"), contents: Data("x".utf8))
        #expect {
            try SyncEventStore.open(at: dir.sub("afile"))
        } throws: { error in "\(error)".contains("is a file") }
        #expect {
            try SyncEventStore.open(at: "")
        } throws: { error in "\(error)".contains("empty") }
        // `--store ''` must not write a store into the current folder.
        let cwd = FileManager.default.currentDirectoryPath
        let before = FileManager.default.fileExists(atPath: cwd + "/data.mdb")
        let r = try cli.run(["import", "--store", "", try cli.generate(5)])
        #expect(r.status == 1)
        #expect(r.stderr.contains("empty"), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: cwd + "/data.mdb") == before)
        let stats = try cli.run(["stats", "--store", ""])
        #expect(stats.status == 1 && stats.stderr.contains("empty"))
    }

    /// Another local user can neither read nor write a store, and is told why.
    @Test func otherUsersGetPermissionDenied() throws {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") else {
            print("skipped: needs root and runuser to act as another user")
            return
        }
        // The other user must be able to run the built binary at all (a checkout inside an owner-only
        // folder, such as one made by `mktemp -d`, hides it).
        let probe = FullDiskTests.shell("/usr/sbin/runuser", ["-u", "nobody", "--", CLIRunner.executable, "--help"])
        guard probe.status == 0 else {
            print("skipped: user nobody cannot run \(CLIRunner.executable): \(probe.output.prefix(200))")
            return
        }
        let path = try smallStore()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        for command in [["stats", "--store", path], ["rotate-cursor-secret", "--store", path]] {
            let r = FullDiskTests.shell("/usr/sbin/runuser", ["-u", "nobody", "--", CLIRunner.executable] + command)
            #expect(r.status == 1, "\(command): \(r.output)")
            #expect(r.output.contains("permission denied"), "\(command): \(r.output)")
        }
        let lib = FullDiskTests.shell("/usr/sbin/runuser", ["-u", "nobody", "--", CLIRunner.executable, "import", "--store", path + "/inner", try cli.generate(3)])
        #expect(lib.status == 1 && lib.output.contains("permission denied"), "\(lib.output)")
    }

    /// A backup into a path that already holds a store is refused; into an empty folder it works.
    @Test func backupTargets() throws {
        let path = try smallStore()
        let store = try SyncEventStore.open(at: path)
        defer { store.close() }
        try FileManager.default.createDirectory(atPath: dir.sub("empty"), withIntermediateDirectories: true)
        try store.backup(to: dir.sub("empty"))
        #expect(throws: SyncEventStoreError.self) { try store.backup(to: dir.sub("empty")) }
        #expect(throws: SyncEventStoreError.self) { try store.backup(to: path) }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!names.contains { $0.contains(".partial-") }, "\(names)")
    }

    /// SIGKILL a `backup` at random moments: the target is absent or a complete store, never a partial one.
    @Test func killedBackupLeavesNothingOrAWholeStore() throws {
        let path = dir.sub("store")
        try cli.ok(["import", "--store", path, try cli.generate(4000)])
        var random = SeededRandomSource(seed: 77)
        var absent = 0
        var complete = 0
        for i in 0..<12 {
            let target = dir.sub("b\(i)")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLIRunner.executable)
            p.arguments = ["backup", "--store", path, "--to", target]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(useconds_t(random.next() % 60_000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if !FileManager.default.fileExists(atPath: target) {
                absent += 1
                continue
            }
            let r = try cli.run(["verify", "--store", target])
            #expect(r.status == 0, "backup \(i) exists but does not verify: \(r.stderr)")
            #expect(try cli.ok(["stats", "--store", target]).text.contains("4000"))
            complete += 1
        }
        #expect(absent + complete == 12)
    }

    @Test func storedCodesArePinned() {
        let types: [EventType: UInt8] = [.push: 0, .installation: 1, .installationRepositories: 2, .repository: 3, .manualResync: 4]
        let statuses: [EventStatus: UInt8] = [.pending: 0, .queued: 1, .running: 2, .completed: 3, .failed: 4, .partial: 5, .ignored: 6]
        #expect(types.count == EventType.allCases.count && statuses.count == EventStatus.allCases.count)
        for (t, c) in types {
            #expect(t.code == c)
            #expect(EventType(code: c) == t)
        }
        for (s, c) in statuses {
            #expect(s.code == c)
            #expect(EventStatus(code: c) == s)
        }
        #expect(EventType(code: 5) == nil && EventStatus(code: 7) == nil)
    }
}
