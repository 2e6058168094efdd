import Crypto
import Synchronization

/// The position after which a page starts: the `(startedAt, id)` of the last event of the previous page.
package struct ListPosition: Equatable {
    package var startedAt: Int64
    package var id: TypeID

    /// A position after the event that started at `startedAt` (ms) with id `id`.
    package init(startedAt: Int64, id: TypeID) {
        self.startedAt = startedAt
        self.id = id
    }

    /// The 24-byte order key of this position (ascending = `startedAt` desc, `id` desc).
    var orderKey: OrderKey { OrderKey(startedAt: startedAt, id: id) }
}

/// The API's opaque page cursor: base64url of `version ‖ startedAt ‖ id ‖ tag`, where the tag is a
/// SipHash-2-4-128 (``SipHash128``) under a key derived from the store's secret, over the position and a
/// SHA-256 digest of the filters and the viewer. A cursor therefore only works for the query and caller it
/// was made for. Version 1 cursors (an HMAC-SHA256 tag) are refused as made by another version.
package enum PageCursor {
    static let version: UInt8 = 2
    static let tagLength = 16
    static let byteLength = 1 + 8 + 16 + tagLength

    /// Why a cursor was refused.
    package enum Failure: Error, Equatable {
        case malformed
        case unknownVersion
        case mismatch
        case unknownEvent
    }

    /// The binding: filters and visibility that a cursor is valid for. The order of visible instances
    /// does not matter; `limit` is not part of it.
    package static func binding(_ request: ListRequest, _ viewer: Viewer) -> [UInt8] {
        var b: [UInt8] = Array("ses.cursor.v1".utf8)
        func id(_ tag: UInt8, _ v: TypeID?) {
            b.append(tag)
            if let v { v.appendBytes(to: &b) } else { b.append(0xFF) }
        }
        switch viewer {
        case .admin(let org):
            id(1, org)
            b.append(0xA1)
        case .member(let org, let visible):
            id(1, org)
            b.append(0xB2)
            let sorted = visible.sorted()
            withUnsafeBytes(of: UInt32(sorted.count).bigEndian) { b.append(contentsOf: $0) }
            for v in sorted { v.appendBytes(to: &b) }
        }
        id(2, request.connectorInstanceId)
        id(3, request.connectorTargetId)
        b.append(4)
        b.append(request.eventType.map(\.code) ?? 0xFF)
        b.append(5)
        b.append(request.status.map(\.code) ?? 0xFF)
        b.append(6)
        if let q = request.q {
            let bytes = Array(q.utf8)
            withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { b.append(contentsOf: $0) }
            b.append(contentsOf: bytes)
        } else {
            b.append(0xFF)
        }
        return Array(SHA256.hash(data: b))
    }

    static func tag(secret: [UInt8], payload: ArraySlice<UInt8>, binding: [UInt8]) -> [UInt8] {
        var mac = SipHash128(key: key(secret))
        mac.absorb(payload)
        mac.absorb(binding)
        return mac.finalize()
    }

    /// The 128-bit SipHash key of `secret`: the first 16 bytes of SHA-256 over a label and the secret,
    /// so the cursor key is used for nothing else. Derived once per secret (a rotated secret replaces
    /// the entry).
    static func key(_ secret: [UInt8]) -> (UInt64, UInt64) {
        if let last = lastKey.withLock({ $0 }), last.secret == secret { return last.key }
        let digest = Array(SHA256.hash(data: Array("ses.cursor.v2.siphash-key".utf8) + secret))
        func word(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(digest[at + $1]) << UInt64(8 * $1) } }
        let key = (word(0), word(8))
        lastKey.withLock { $0 = DerivedKey(secret: secret, key: key) }
        return key
    }

    /// A secret and its derived SipHash key.
    struct DerivedKey: Sendable {
        let secret: [UInt8]
        let key: (UInt64, UInt64)
    }

    /// The last secret used and its key (a process usually has one store, so one secret).
    static let lastKey = Mutex<DerivedKey?>(nil)

    /// The cursor text for a page that ended at `position`.
    package static func encode(_ position: ListPosition, binding: [UInt8], secret: [UInt8]) -> String {
        var bytes: [UInt8] = [version]
        IndexKey.appendBE(IndexKey.biased(position.startedAt), to: &bytes)
        position.id.appendBytes(to: &bytes)
        bytes += tag(secret: secret, payload: bytes[...], binding: binding)
        return Base64URL.encode(bytes)
    }

    /// The position a cursor text carries, if it is authentic for this binding.
    package static func decode(_ text: String, binding: [UInt8], secret: [UInt8]) throws(Failure) -> ListPosition {
        guard let bytes = Base64URL.decode(text), bytes.count == byteLength else { throw .malformed }
        guard bytes[0] == version else { throw .unknownVersion }
        let expected = tag(secret: secret, payload: bytes[..<(byteLength - tagLength)], binding: binding)
        // Constant-time comparison.
        var diff: UInt8 = 0
        for (a, b) in zip(expected, bytes[(byteLength - tagLength)...]) { diff |= a ^ b }
        guard diff == 0 else { throw .mismatch }
        let t = bytes[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return ListPosition(
            startedAt: IndexKey.unbiased(t), id: TypeID(prefix: .event, bytes: bytes[9..<25]))
    }

    /// The 400 detail for a refused cursor.
    package static func issue(_ failure: Failure) -> ValidationIssue {
        let why: String
        switch failure {
        case .malformed: why = "it is not a cursor returned by this endpoint"
        case .unknownVersion: why = "it was made by another version of the server"
        case .mismatch: why = "it was altered, or was made for other filters or another caller"
        case .unknownEvent: why = "no such event matches these filters for this caller"
        }
        return ValidationIssue(code: "custom", message: "Invalid cursor: \(why)", path: ["cursor"])
    }
}

/// Base64url without padding (RFC 4648 §5).
enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let values: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for s in stride(from: 18, through: 0, by: -6) { out.append(alphabet[Int((v >> UInt32(s)) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes canonical unpadded base64url; `nil` for anything else (so each cursor has one spelling).
    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        var acc: UInt32 = 0
        var bits = 0
        for c in chars {
            let v = values[Int(c)]
            guard v != 0xFF else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xFF))
            }
        }
        // Leftover bits must be zero for a canonical encoding.
        guard acc & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
