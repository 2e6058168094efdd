/// A source of random bits, injectable so that generated ids and backoff jitter are reproducible in tests.
public protocol RandomSource: Sendable {
    /// The next 64 random bits.
    mutating func next() -> UInt64
}

/// The system's cryptographically secure generator.
public struct SystemRandomSource: RandomSource {
    /// Creates the generator.
    public init() {}
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        var g = SystemRandomNumberGenerator()
        return g.next()
    }
}

/// A small, fast, seeded generator (SplitMix64) for reproducible data and tests.
public struct SeededRandomSource: RandomSource, RandomNumberGenerator {
    private var state: UInt64
    /// Creates a generator from a seed.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension TypeID {
    /// A new id: the TypeID of a UUIDv7 whose 48-bit time field is `now`.
    ///
    /// Ids made at later milliseconds sort after earlier ones.
    public static func generate(
        _ prefix: Prefix, now: Timestamp = .now, random: inout some RandomSource
    ) -> TypeID {
        let ms = UInt64(max(0, now.millisecondsSince1970)) & 0xFFFF_FFFF_FFFF
        let r1 = random.next()
        let r2 = random.next()
        let high = (ms << 16) | 0x7000 | (r1 & 0x0FFF)
        let low = (r2 & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return TypeID(prefix: prefix, high: high, low: low)
    }

    /// A new id from the system's random generator.
    public static func generate(_ prefix: Prefix, now: Timestamp = .now) -> TypeID {
        var random = SystemRandomSource()
        return generate(prefix, now: now, random: &random)
    }
}
