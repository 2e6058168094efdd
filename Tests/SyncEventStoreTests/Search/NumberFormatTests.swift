import Testing
@testable import SyncEventStore

@Suite("JavaScriptNumber.format")
struct NumberFormatTests {
    @Test("Matches node's String(x) for the golden table")
    func golden() {
        var count = 0
        var mismatches: [String] = []
        for line in NumberGolden.table.split(separator: "\n") {
            let parts = line.split(separator: " ")
            let d = Double(bitPattern: UInt64(parts[0], radix: 16)!)
            let got = JavaScriptNumber.format(d)
            if got != parts[1] { mismatches.append("\(parts[0]): got \(got) want \(parts[1])") }
            count += 1
        }
        #expect(count >= 2000)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }

    @Test("Layout rules", arguments: [
        (1e21, "1e+21"), (1.5e-7, "1.5e-7"), (123456789012345683968, "123456789012345680000"),
        (0.000001, "0.000001"), (1e-7, "1e-7"), (-0.0, "0"), (0, "0"), (-1.5, "-1.5"),
        (100, "100"), (0.1 + 0.2, "0.30000000000000004"), (.leastNonzeroMagnitude, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (9007199254740994, "9007199254740994"),
        (1e16, "10000000000000000"), (-1e-7, "-1e-7"), (123.456, "123.456"), (2.5e-6, "0.0000025"),
    ] as [(Double, String)])
    func layout(_ d: Double, _ expected: String) {
        #expect(JavaScriptNumber.format(d) == expected)
    }

    @Test("Non-finite values")
    func nonFinite() {
        #expect(JavaScriptNumber.format(.nan) == "NaN")
        #expect(JavaScriptNumber.format(.infinity) == "Infinity")
        #expect(JavaScriptNumber.format(-.infinity) == "-Infinity")
    }
}
