import Testing

@testable import SyncEventStore

/// The cursor MAC: SipHash-2-4-128 against the reference implementation's vectors, and cursors signed
/// with it that verify only for their own position, binding and secret.
@Suite struct SipHashTests {
    /// `vectors_sip128[i]` of the reference implementation (github.com/veorq/SipHash, `vectors.h`): the tag
    /// of the `i`-byte message `00 01 … (i-1)` under the key `00 01 … 0f`.
    static let vectors: [Int: String] = [
        0: "a3817f04ba25a8e66df67214c7550293",
        1: "da87c1d86b99af44347659119b22fc45",
        7: "a1f1ebbed8dbc153c0b84aa61ff08239",
        8: "3b62a9ba6258f5610f83e264f31497b4",
        15: "5493e99933b0a8117e08ec0f97cfc3d9",
        16: "6ee2a4ca67b054bbfd3315bf85230577",
        57: "74481e9646ed49fe0f6224301604698e",
        63: "5150d1772f50834a503e069a973fbd7c",
    ]

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    @Test(arguments: vectors.keys.sorted())
    func matchesTheReferenceVectors(length: Int) {
        var mac = SipHash128(key: (0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908))
        mac.absorb((0..<length).map { UInt8($0) })
        #expect(Self.hex(mac.finalize()) == Self.vectors[length])
    }

    @Test func absorbingInPiecesEqualsAbsorbingAtOnce() {
        var rng = SeededRandomSource(seed: 11)
        for _ in 0..<200 {
            let message = (0..<Int.random(in: 0..<80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let cut = Int.random(in: 0...message.count, using: &rng)
            var whole = SipHash128(key: (1, 2))
            whole.absorb(message)
            var pieces = SipHash128(key: (1, 2))
            pieces.absorb(message[..<cut])
            pieces.absorb(message[cut...])
            #expect(whole.finalize() == pieces.finalize())
        }
    }

    @Test func cursorsVerifyOnlyForTheirBindingAndSecret() throws {
        var rng = SeededRandomSource(seed: 12)
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let other = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for _ in 0..<100 {
            let position = ListPosition(
                startedAt: Int64.random(in: 0...4_000_000_000_000, using: &rng),
                id: TypeID(prefix: .event, high: UInt64.random(in: 0...UInt64.max, using: &rng),
                           low: UInt64.random(in: 0...UInt64.max, using: &rng)))
            let binding = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = PageCursor.encode(position, binding: binding, secret: secret)
            #expect(try PageCursor.decode(text, binding: binding, secret: secret) == position)
            var otherBinding = binding
            otherBinding[Int.random(in: 0..<32, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            #expect(throws: PageCursor.Failure.mismatch) {
                try PageCursor.decode(text, binding: otherBinding, secret: secret)
            }
            #expect(throws: PageCursor.Failure.mismatch) { try PageCursor.decode(text, binding: binding, secret: other) }
            // Any flipped bit after the version byte is refused.
            var bytes = try #require(Base64URL.decode(text))
            bytes[Int.random(in: 1..<bytes.count, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            #expect(throws: PageCursor.Failure.mismatch) {
                try PageCursor.decode(Base64URL.encode(bytes), binding: binding, secret: secret)
            }
        }
    }

    @Test func versionOneCursorsAreRefusedAsAnotherVersion() throws {
        let secret = [UInt8](repeating: 7, count: 32)
        let binding = [UInt8](repeating: 9, count: 32)
        let text = PageCursor.encode(
            ListPosition(startedAt: 1_700_000_000_000, id: TypeID(prefix: .event, high: 1, low: 2)),
            binding: binding, secret: secret)
        var bytes = try #require(Base64URL.decode(text))
        bytes[0] = 1
        #expect(throws: PageCursor.Failure.unknownVersion) {
            try PageCursor.decode(Base64URL.encode(bytes), binding: binding, secret: secret)
        }
    }
}
