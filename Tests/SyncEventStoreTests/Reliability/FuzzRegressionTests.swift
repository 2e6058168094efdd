import Foundation
import Testing

@testable import SyncEventStore

/// The hostile-input suite's inputs replayed in `swift test`: the seeds and every input a fuzzer found
/// crashing (`Fuzz/regressions/<target>/`), through the same checks the libFuzzer targets run. A broken
/// promise stops the process, so a regression fails the run.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ target: FuzzHarness.Target) -> [URL] {
        ["seeds", "regressions"].flatMap { folder in
            let dir = root.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
            return ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? [])
        }
    }

    @Test(arguments: FuzzHarness.Target.allCases)
    func seedsAndFoundCrashesKeepTheirPromises(target: FuzzHarness.Target) throws {
        let files = Self.inputs(target)
        #expect(!files.isEmpty)
        for file in files {
            let outcome = FuzzHarness.run(target, [UInt8](try Data(contentsOf: file)))
            if case .refused(let field) = outcome { #expect(!field.isEmpty, "\(file.lastPathComponent)") }
        }
    }

    /// Found by the record fuzzer: a repeated empty key was refused with an empty field name.
    @Test func aRepeatedEmptyKeyIsNamed() throws {
        let file = Self.root.appendingPathComponent("regressions/record/empty-key-repeated")
        #expect(FuzzHarness.run(.record, [UInt8](try Data(contentsOf: file))) == .refused(field: #"[""]"#))
        let nested = JSONParseError(offset: 0, reason: "", path: ["summaryJson", "a.b", "[0]", "", "c"])
        #expect(nested.pathText == #"summaryJson["a.b"][0][""].c"#)
    }

    /// Found by the record fuzzer (full run, after 7.5 million executions): an unknown empty key was
    /// refused with an empty field name.
    @Test func anUnknownEmptyKeyIsNamed() throws {
        let file = Self.root.appendingPathComponent("regressions/record/empty-unknown-key")
        #expect(FuzzHarness.run(.record, [UInt8](try Data(contentsOf: file))) == .refused(field: #"[""]"#))
    }

    @Test func pagesBadRequestsAndSignedCursorsAreAnswered() {
        #expect(FuzzHarness.run(.query, Array("\u{0}limit=5".utf8)) == .page(items: 5))
        #expect(FuzzHarness.run(.query, Array("\u{0}limit=500".utf8)) == .badRequest(path: "limit"))
        #expect(FuzzHarness.run(.cursor, Array("\u{0}\u{4}\u{0}garbage".utf8)) == .badRequest(path: "cursor"))
        // Signed payloads at the ends of the order (no such event): a page from that position or a
        // refused cursor, never a crash.
        for fill: UInt8 in [0x00, 0xFF] {
            switch FuzzHarness.run(.cursor, [0, 4, 0x80, 1] + [UInt8](repeating: fill, count: 24)) {
            case .page(let n): #expect(n <= 5)
            case .badRequest(let path): #expect(path == "cursor")
            default: Issue.record("neither a page nor a 400")
            }
        }
    }
}
