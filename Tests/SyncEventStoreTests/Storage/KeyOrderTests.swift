import CLMDB
import Testing
@testable import SyncEventStore

/// The word-at-a-time key comparison the LMDB tables use must order keys exactly as LMDB's default
/// (`memcmp` over the shorter length, then the shorter key first): files stay readable by `mdb_dump`,
/// `mdb_stat` and any other LMDB program, and every index range walk keeps its meaning.
@Suite("LMDB key order")
struct KeyOrderTests {
    /// Keys that share long prefixes (so that the first difference falls in every byte of a word and in
    /// the tail), of every length from 0 to 40, with bytes at both ends of the range.
    static func keys(count: Int, seed: UInt64) -> [[UInt8]] {
        var random = SeededRandomSource(seed: seed)
        let base = (0..<40).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        return (0..<count).map { _ in
            var key = Array(base.prefix(Int(random.next() % 41)))
            if !key.isEmpty, random.next() % 4 != 0 {
                let at = Int(random.next() % UInt64(key.count))
                key[at] = [0x00, 0x7F, 0x80, 0xFF, UInt8(truncatingIfNeeded: random.next())][Int(random.next() % 5)]
            }
            return key
        }
    }

    /// The sign of LMDB's default comparison, written the slow way.
    static func reference(_ a: [UInt8], _ b: [UInt8]) -> Int {
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    @Test func comparisonMatchesTheDefaultOrder() {
        let keys = Self.keys(count: 600, seed: 0x0DE5)
        var compared = 0
        for a in keys {
            for b in keys.prefix(200) {
                let sign = a.withUnsafeBytes { pa in
                    b.withUnsafeBytes { pb in
                        var va = MDB_val(mv_size: pa.count, mv_data: UnsafeMutableRawPointer(mutating: pa.baseAddress))
                        var vb = MDB_val(mv_size: pb.count, mv_data: UnsafeMutableRawPointer(mutating: pb.baseAddress))
                        return Int(clmdb_compare_bytes(&va, &vb)).signum()
                    }
                }
                #expect(sign == Self.reference(a, b), "\(a) against \(b)")
                compared += 1
            }
        }
        #expect(compared == 600 * 200)
    }

    /// Keys written through the store's tables come back from a cursor walk in the default order.
    @Test func aTableWalksInTheDefaultOrder() throws {
        let dir = TemporaryDirectory()
        let storage = try LMDBStorage(path: dir.sub("kv"), configuration: LMDBOptions())
        defer { storage.close() }
        let keys = Set(Self.keys(count: 3_000, seed: 0x0DE6).filter { !$0.isEmpty })
        try storage.write { txn in
            for key in keys { try txn.put(.indexes, key, [1]) }
        }
        let expected = keys.sorted { Self.reference($0, $1) < 0 }
        try storage.read { txn in
            var walked: [[UInt8]] = []
            var cursor = try txn.makeCursor(.indexes)
            if try cursor.first() { repeat { walked.append(try cursor.key) } while try cursor.next() }
            #expect(walked == expected)
            for key in expected.prefix(500) {
                #expect(try txn.get(.indexes, key) == [1])
            }
        }
    }
}
