/// SipHash-2-4 with a 128-bit output (Aumasson and Bernstein, "SipHash: a fast short-input PRF"): the
/// keyed pseudo-random function that signs page cursors.
///
/// A cursor's MAC is computed for every page with a next page and checked for every request that sends
/// one, over about 60 bytes. HMAC-SHA256 spends four SHA-256 compressions and a few allocations on that
/// (about 4 µs a page in the server's profile); SipHash spends about 10 rounds of additions, rotations
/// and xors on 64-bit words. Its output is a 128-bit PRF of the message under a secret 128-bit key, so a
/// cursor cannot be forged or moved to another query without the key.
///
/// Checked against the reference implementation's test vectors (`SipHashTests`).
struct SipHash128 {
    private var v0: UInt64 = 0x736f_6d65_7073_6575
    private var v1: UInt64 = 0x646f_7261_6e64_6f6d
    private var v2: UInt64 = 0x6c79_6765_6e65_7261
    private var v3: UInt64 = 0x7465_6462_7974_6573
    /// Bytes not yet absorbed (fewer than 8), little-endian in the low bits.
    private var tail: UInt64 = 0
    private var tailCount = 0
    private var length = 0

    /// A PRF keyed by the 16 bytes `key` (the first 8 are `k0`, little-endian).
    init(key: (UInt64, UInt64)) {
        let (k0, k1) = key
        v3 ^= k1
        v2 ^= k0
        v1 ^= k1 ^ 0xee
        v0 ^= k0
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ b: UInt64) -> UInt64 { (x << b) | (x >> (64 &- b)) }

    @inline(__always)
    private mutating func round() {
        v0 &+= v1
        v1 = Self.rotl(v1, 13)
        v1 ^= v0
        v0 = Self.rotl(v0, 32)
        v2 &+= v3
        v3 = Self.rotl(v3, 16)
        v3 ^= v2
        v0 &+= v3
        v3 = Self.rotl(v3, 21)
        v3 ^= v0
        v2 &+= v1
        v1 = Self.rotl(v1, 17)
        v1 ^= v2
        v2 = Self.rotl(v2, 32)
    }

    @inline(__always)
    private mutating func compress(_ m: UInt64) {
        v3 ^= m
        round()
        round()
        v0 ^= m
    }

    /// Absorbs `bytes` (the message is the concatenation of everything absorbed).
    mutating func absorb(_ bytes: some Collection<UInt8>) {
        length &+= bytes.count
        for byte in bytes {
            tail |= UInt64(byte) << UInt64(8 * tailCount)
            tailCount += 1
            if tailCount == 8 {
                compress(tail)
                tail = 0
                tailCount = 0
            }
        }
    }

    /// The 16-byte tag of everything absorbed.
    consuming func finalize() -> [UInt8] {
        compress(tail | UInt64(truncatingIfNeeded: length) << 56)
        v2 ^= 0xee
        for _ in 0..<4 { round() }
        let low = v0 ^ v1 ^ v2 ^ v3
        v1 ^= 0xdd
        for _ in 0..<4 { round() }
        let high = v0 ^ v1 ^ v2 ^ v3
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: low >> UInt64(8 * i))) }
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: high >> UInt64(8 * i))) }
        return out
    }
}
