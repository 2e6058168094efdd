// fuzz-inputs: the libFuzzer targets of the hostile-input suite (RELIABILITY.md, `make fuzz`).
//
// Built by scripts/fuzz.sh with `--sanitize fuzzer -Xswiftc -DFUZZING`, this file has no `main`:
// libFuzzer's drives `LLVMFuzzerTestOneInput`, and FUZZ_TARGET (query, cursor or record) picks the
// surface. In an ordinary build it is a replay tool:
//
//     fuzz-inputs <query|cursor|record> FILE…
//
// runs each file through the same checks and prints what it gave (a crash file reproduces its crash).
import Foundation
import SyncEventStore

nonisolated(unsafe) var selectedTarget: FuzzHarness.Target?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if selectedTarget == nil {
        let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
        guard let target = FuzzHarness.Target(rawValue: name) else {
            fatalError(
                "set FUZZ_TARGET to one of: \(FuzzHarness.Target.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        selectedTarget = target
    }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzHarness.run(selectedTarget!, bytes)
    return 0
}

#if !FUZZING
    @main
    enum Replay {
        static func main() throws {
            let arguments = CommandLine.arguments.dropFirst()
            guard let name = arguments.first, let target = FuzzHarness.Target(rawValue: name) else {
                FileHandle.standardError.write(Data("usage: fuzz-inputs <query|cursor|record> FILE…\n".utf8))
                exit(2)
            }
            for file in arguments.dropFirst() {
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
                print("\(file): \(FuzzHarness.run(target, bytes))")
            }
        }
    }
#endif
