import CCRC32C

/// CRC-32C (Castagnoli), the checksum that ends every stored record: it detects every burst of up to
/// 32 flipped bits, so any damaged byte of a record is found when the record is read. Computed with the
/// CPU's CRC32 instruction where there is one (a C target: Swift cannot name it portably).
enum CRC32C {
    /// The CRC-32C of `bytes`.
    @inline(__always)
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        ccrc32c(0, bytes.baseAddress, bytes.count)
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { checksum($0) } }
}

extension RecordCodec {
    /// Bytes of the checksum that ends a record.
    static let checksumLength = 4

    /// Appends the CRC-32C of everything before it.
    static func appendChecksum(to out: inout [UInt8]) {
        withUnsafeBytes(of: CRC32C.checksum(out).littleEndian) { out.append(contentsOf: $0) }
    }

    /// Appends the CRC-32C of the record that starts at `start` in `out` (a buffer of several records).
    static func appendChecksum(to out: inout [UInt8], from start: Int) {
        let sum = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        withUnsafeBytes(of: sum.littleEndian) { out.append(contentsOf: $0) }
    }

    /// Whether the record's last four bytes are the CRC-32C of the bytes before them.
    static func checksumMatches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count > checksumLength else { return false }
        let body = UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count - checksumLength)])
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: body.count, as: UInt32.self))
        return CRC32C.checksum(body) == stored
    }

    /// A record of format 1 (no checksum) in the current form: the version byte raised, the checksum appended.
    /// A record already in the current form (version and checksum) is kept as it is.
    static func upgradedFromVersion1(_ bytes: UnsafeRawBufferPointer) throws -> [UInt8] {
        if bytes.first == version, checksumMatches(bytes) { return Array(bytes) }
        guard bytes.first == 1 else {
            throw StorageError.corrupted("record of version \(bytes.first ?? 0) in a store of format 1")
        }
        var out = Array(bytes)
        out[0] = version
        appendChecksum(to: &out)
        return out
    }
}
