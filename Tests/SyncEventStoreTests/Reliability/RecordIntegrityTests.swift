import Foundation
import CCRC32C
import Testing
@testable import SyncEventStore

/// Issue 10: record checksums, `verify` comparing stored JSON with fields, format upgrades, the Unicode
/// version of the search data, and cursor-secret rotation.
@Suite("Record integrity and format")
struct RecordIntegrityTests {
    func firstRecordKey(_ store: SyncEventStore) throws -> [UInt8] {
        try store.write { txn in
            var c = try txn.makeCursor(.events)
            _ = try c.first()
            return try c.key
        }
    }

    @Test(arguments: Backend.allCases)
    func flippedRecordByteIsCaughtOnReadAndByVerify(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        try store.record(contentsOf: MapHandlingTests.events(20, seed: 31, bigSummary: false))
        let key = try firstRecordKey(store)
        try store.write { txn in
            var bytes = try txn.get(.events, key)!
            bytes[bytes.count - 30] ^= 0x04  // inside the public JSON
            try txn.put(.events, key, bytes)
        }
        let id = TypeID(prefix: .event, bytes: key)
        #expect {
            _ = try store.event(id: id)
        } throws: { error in "\(error)".contains("checksum") }
        let problems = try store.verifyIndexes()
        #expect(problems.contains { $0.contains(id.description) && $0.contains("checksum") }, "\(problems)")
    }

    /// The issue's case: the stored JSON says `failed` while the fields say `queued` (and the checksum
    /// matches, as if written so): `verify` reports it.
    @Test(arguments: Backend.allCases)
    func storedJSONThatDisagreesWithFieldsFailsVerify(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        var f = Fixtures(seed: 32)
        let e = f.event(org: f.id(.organization), instance: f.id(.connectorInstance), status: .queued)
        try store.record(e)
        try store.write { txn in
            let bytes = try txn.get(.events, e.id.bytes)!
            var body = Array(bytes.dropLast(RecordCodec.checksumLength))
            let from = Array(#""status":"queued""#.utf8)
            let at = (0...(body.count - from.count)).first { body[$0..<($0 + from.count)].elementsEqual(from) }
            #expect(at != nil)
            body.replaceSubrange(at!..<(at! + from.count), with: Array(#""status":"failed""#.utf8))
            RecordCodec.appendChecksum(to: &body)
            try txn.put(.events, e.id.bytes, body)
        }
        let problems = try store.verifyIndexes()
        #expect(problems.contains { $0.contains(e.id.description) && $0.contains("stored JSON disagrees") }, "\(problems)")
    }

    /// A store of format 1 (records without checksums) is upgraded when it opens.
    @Test func formatOneStoreIsUpgraded() throws {
        let dir = TemporaryDirectory()
        let path = dir.sub("store")
        var store = try SyncEventStore.open(at: path)
        let events = MapHandlingTests.events(5000, seed: 33, bigSummary: false)
        try store.record(contentsOf: events)
        try store.write { txn in
            var c = try txn.makeCursor(.events)
            var rows: [([UInt8], [UInt8])] = []
            var more = try c.first()
            while more {
                var v = try c.value
                v.removeLast(RecordCodec.checksumLength)
                v[0] = 1
                rows.append((try c.key, v))
                more = try c.next()
            }
            for (k, v) in rows { try txn.put(.events, k, v) }
            try txn.put(.meta, Engine<MemoryStorage>.formatKey, [1])
        }
        store.close()
        let heard: Lines
        (store, heard) = try openHearingProgress(path)
        defer { store.close() }
        #expect(heard.all.contains { $0.contains("format 4 (record checksums)") }, "\(heard.all)")
        #expect(try store.verifyIndexes() == [])
        #expect(try store.event(id: events[4321].id) == events[4321])
    }

    /// Search data made with other Unicode tables is rebuilt (with progress) when the store opens.
    @Test func searchIndexIsRebuiltWhenTheUnicodeVersionDiffers() throws {
        let dir = TemporaryDirectory()
        let path = dir.sub("store")
        var store = try SyncEventStore.open(at: path)
        var f = Fixtures(seed: 34)
        let org = f.id(.organization)
        var e = f.event(org: org, instance: f.id(.connectorInstance))
        e.externalEventRef = "ΣΊΣΥΦΟΣ-İstanbul"
        try store.record(e)
        #expect(try store.write { try $0.get(.meta, StoreFormat.unicodeKey) } == Array(StoreFormat.unicodeVersion.utf8))
        // Pretend the search data came from Unicode 9.0 tables that lowercased differently.
        try store.write { txn in
            try txn.put(.meta, StoreFormat.unicodeKey, Array("9.0".utf8))
            var c = try txn.makeCursor(.search)
            var keys: [[UInt8]] = []
            var more = try c.first()
            while more {
                keys.append(try c.key)
                more = try c.next()
            }
            for k in keys where k.count > 21 { try txn.delete(.search, k) }
        }
        #expect(try store.verifyIndexes() != [])
        store.close()
        let heard: Lines
        (store, heard) = try openHearingProgress(path)
        defer { store.close() }
        #expect(heard.all.contains { $0.contains("Unicode 9.0") && $0.contains(StoreFormat.unicodeVersion) }, "\(heard.all)")
        #expect(try store.verifyIndexes() == [])
        let page = try store.listResponse(query: [QueryItem(name: "q", value: "σίσυφος")], as: .admin(organization: org))
        #expect(page.itemCount == 1)
    }

    @Test(arguments: Backend.allCases)
    func rotatingTheCursorSecretRefusesOldCursors(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        defer { store.close() }
        let events = MapHandlingTests.events(10, seed: 35, bigSummary: false)
        try store.record(contentsOf: events)
        let viewer = Viewer.admin(organization: events[0].organizationId)
        let first = try store.listResponse(query: [QueryItem(name: "limit", value: "3")], as: viewer)
        guard case .object(let o) = try JSONParser.parse(first.body), case .string(let cursor)? = o["nextCursor"] else {
            Issue.record("no cursor")
            return
        }
        let again = [QueryItem(name: "limit", value: "3"), QueryItem(name: "cursor", value: cursor)]
        #expect(try store.listResponse(query: again, as: viewer).status == 200)
        try store.rotateCursorSecret()
        let refused = try store.listResponse(query: again, as: viewer)
        #expect(refused.status == 400)
        #expect(String(decoding: refused.body, as: UTF8.self).contains(#"["cursor"]"#))
    }

    @Test func rotateCursorSecretCommand() throws {
        let dir = TemporaryDirectory()
        let cli = CLIRunner(dir: dir)
        let path = dir.sub("store")
        let missing = try cli.run(["rotate-cursor-secret", "--store", path])
        #expect(missing.status == 1)
        try cli.ok(["import", "--store", path, try cli.generate(20)])
        let before = try SyncEventStore.open(at: path)
        let old = try before.write { try $0.get(.meta, Engine<MemoryStorage>.secretKey) }
        before.close()
        try cli.ok(["rotate-cursor-secret", "--store", path])
        let after = try SyncEventStore.open(at: path)
        defer { after.close() }
        let new = try after.write { try $0.get(.meta, Engine<MemoryStorage>.secretKey) }
        #expect(old != nil && new != nil && old != new)
    }
}

/// Opens the store at `path` with a progress callback; the store and what the callback heard.
func openHearingProgress(_ path: String) throws -> (SyncEventStore, Lines) {
    let heard = Lines()
    var configuration = Configuration()
    configuration.progress = { heard.append($0) }
    return (try SyncEventStore.open(at: path, configuration: configuration), heard)
}

/// Lines collected from a `@Sendable` callback.
final class Lines: @unchecked Sendable {  // guarded by the lock
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ s: String) { lock.withLock { lines.append(s) } }
    var all: [String] { lock.withLock { lines } }
}

/// The README's rules for input: `summaryJson` numbers are doubles written as `JSON.stringify` writes
/// them; the lenient timestamp forms it lists are accepted and normalized.
@Suite("Documented input rules")
struct SummaryNumberRuleTests {
    @Test func numbersAreJavaScriptDoubles() throws {
        let text = #"{"a":1.0,"b":1e2,"c":-0,"d":12345678901234567890,"e":0.1}"#
        guard case .object(let o) = try JSONParser.parse(text) else { throw SyncEventStoreError.closed }
        var out: [UInt8] = []
        JSONWriter.write(.object(o), to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"{"a":1,"b":100,"c":0,"d":12345678901234567000,"e":0.1}"#)
    }
}

extension SummaryNumberRuleTests {
    @Test func lenientTimestampFormsAreAcceptedAndNormalized() {
        let forms = [
            "2026-01-02T03:04:05.000Z", "2026-01-02t03:04:05z", "2026-01-02 03:04:05Z", "2026-01-02T03:04Z",
            "2026-01-02T03:04:05.000999Z", "2026-01-02T04:04:05+01:00",
        ]
        for f in forms { #expect(Timestamp(iso8601: f)?.description == "2026-01-02T03:04:05.000Z" || f.hasSuffix("03:04Z"), "\(f)") }
        #expect(Timestamp(iso8601: "2026-01-02T03:04Z")?.description == "2026-01-02T03:04:00.000Z")
        for bad in ["2026-01-02", "2026-01-02T03:04:05", "2026-1-02T03:04:05Z", "2026-01-02T03:04:05.Z"] {
            #expect(Timestamp(iso8601: bad) == nil, "\(bad)")
        }
    }
}

@Suite("CRC-32C")
struct CRC32CTests {
    /// The check value of CRC-32C (RFC 3720) and lengths around the 8-byte steps.
    @Test func knownValues() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        // A bitwise reference over every length 0…40.
        func reference(_ b: [UInt8]) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for x in b {
                c ^= UInt32(x)
                for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            }
            return ~c
        }
        let bytes = (0..<40).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for n in 0...40 { #expect(CRC32C.checksum(Array(bytes.prefix(n))) == reference(Array(bytes.prefix(n))), "length \(n)") }
    }

    /// The interleaved hardware CRC (three lanes of 128 or 1,024 bytes, combined by shift tables) against
    /// the byte-at-a-time table version: every length around the lane boundaries, random contents and
    /// offsets, and a CRC continued over two pieces equal to the CRC of the whole.
    @Test func interleavedMatchesTheTableVersion() {
        var random = SeededRandomSource(seed: 0xC3C)
        let buffer = (0..<20_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        var lengths = Array(0...400)
        for boundary in [3 * 128, 3 * 1024, 2 * 3 * 1024, 3 * 1024 + 3 * 128] {
            lengths += (boundary - 9)...(boundary + 9)
        }
        lengths += (0..<200).map { _ in Int(random.next() % 19_000) }
        buffer.withUnsafeBytes { all in
            for n in lengths {
                let offset = Int(random.next() % 1_000)
                let piece = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + n)])
                let seed = UInt32(truncatingIfNeeded: random.next())
                let expected = ccrc32c_portable(seed, piece.baseAddress, n)
                #expect(ccrc32c(seed, piece.baseAddress, n) == expected, "length \(n) at offset \(offset)")
                let cut = n == 0 ? 0 : Int(random.next() % UInt64(n))
                let first = ccrc32c(seed, piece.baseAddress, cut)
                #expect(ccrc32c(first, piece.baseAddress.map { $0 + cut }, n - cut) == expected, "length \(n) cut at \(cut)")
            }
        }
    }
}
