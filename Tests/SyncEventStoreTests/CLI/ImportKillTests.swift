import Foundation
import Testing
@testable import SyncEventStore

/// Issue 10's import row: an `import` SIGKILLed at any moment leaves no event of its file (it used to
/// commit every 50,000), and running it again then imports everything.
@Suite("Import killed")
struct ImportKillTests {
    let dir = TemporaryDirectory()
    var cli: CLIRunner { CLIRunner(dir: dir) }

    @Test func aKilledImportLeavesNothingAndARerunImportsAll() throws {
        let file = try cli.generate(30_000)
        let store = dir.sub("store")
        // Kill moments spread from start-up to (for a debug build) well into the writing.
        for delay in [0.05, 0.3, 0.8, 1.5, 2.5] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLIRunner.executable)
            process.arguments = ["import", "--store", store, file]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .exit {
                // It finished before the kill: start again from an empty store.
                #expect(process.terminationStatus == 0)
                try FileManager.default.removeItem(atPath: store)
                continue
            }
            if FileManager.default.fileExists(atPath: store + "/data.mdb") {
                let opened = try SyncEventStore.open(at: store)
                #expect(try opened.count == 0, "killed after \(delay) s")
                #expect(try opened.verifyIndexes().isEmpty)
                opened.close()
            }
        }
        let r = try cli.ok(["import", "--store", store, file])
        #expect(r.text.hasPrefix("imported 30000 events in "))
        let opened = try SyncEventStore.open(at: store)
        #expect(try opened.count == 30_000)
        opened.close()
    }
}
