/// CRC-32C (Castagnoli), the checksum that ends every stored record: it detects every burst of up to
/// 32 flipped bits, so any damaged byte of a record is found when the record is read.
enum CRC32C {
    /// Slicing-by-8 tables: `tables[k * 256 + b]`.
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k * 256 + i] = (t[(k - 1) * 256 + i] >> 8) ^ t[Int(t[(k - 1) * 256 + i] & 0xFF)] }
        }
        return t
    }()

    /// The CRC-32C of `bytes`.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        tables.withUnsafeBufferPointer { t in
            var crc: UInt32 = 0xFFFF_FFFF
            var i = 0
            let n = bytes.count
            while i + 8 <= n {
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let lo = UInt32(truncatingIfNeeded: word) ^ crc
                let hi = UInt32(truncatingIfNeeded: word >> 32)
                crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(bytes[i])) & 0xFF)]
                i += 1
            }
            return ~crc
        }
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

    /// Whether the record's last four bytes are the CRC-32C of the bytes before them.
    static func checksumMatches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count > checksumLength else { return false }
        let body = UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count - checksumLength)])
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: body.count, as: UInt32.self))
        return CRC32C.checksum(body) == stored
    }

    /// A record of format 1 (no checksum) in the current form: the version byte raised, the checksum appended.
    static func upgradedFromVersion1(_ bytes: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard bytes.first == 1 else {
            throw StorageError.corrupted("record of version \(bytes.first ?? 0) in a store of format 1")
        }
        var out = Array(bytes)
        out[0] = version
        appendChecksum(to: &out)
        return out
    }
}
