/// Small read helpers the write side shares: loading a record and walking a key prefix.
extension StorageReadTransaction {
    /// The stored event `id`, decoded, or `nil`.
    func loadEvent(_ id: TypeID) throws -> SyncEvent? {
        try withValue(.events, id.bytes) { try RecordCodec.decode($0) }
    }

    /// Calls `body` with each key of `table` that starts with `prefix`, in key order, until it returns `false`.
    func forEachKey(
        in table: Table = .indexes, withPrefix prefix: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        var cursor = try makeCursor(table)
        guard try cursor.seek(atOrAfter: prefix) else { return }
        repeat {
            let goOn = try cursor.withCurrent { key, _ -> Bool in
                guard key.count >= prefix.count, key.starts(with: prefix) else { return false }
                return try body(key)
            }
            if !goOn { return }
        } while try cursor.next()
    }

    /// Whether any key of `table` starts with `prefix`.
    func hasKey(in table: Table = .indexes, withPrefix prefix: [UInt8]) throws -> Bool {
        var found = false
        try forEachKey(in: table, withPrefix: prefix) { _ in
            found = true
            return false
        }
        return found
    }

    /// The ids at the end (last 16 bytes) of every key with `prefix`, in key order.
    func idsAtKeyEnd(withPrefix prefix: [UInt8], limit: Int = .max) throws -> [TypeID] {
        var ids: [TypeID] = []
        try forEachKey(withPrefix: prefix) { key in
            ids.append(IndexKey.idAtEnd(of: key))
            return ids.count < limit
        }
        return ids
    }

    /// The ids of the events whose `targetStatus` entries start with `target ‖ status`, newest first.
    func targetEventIDs(_ target: TypeID, _ status: EventStatus, limit: Int = .max) throws -> [TypeID] {
        var ids: [TypeID] = []
        try forEachKey(withPrefix: IndexKey.prefix(.targetStatus, target.bytes, [status.code])) { key in
            ids.append(IndexKey.order(fromKeyEnd: key).id)
            return ids.count < limit
        }
        return ids
    }
}

extension IndexKey {
    /// The event id stored big-endian in the last 16 bytes of `key` (the `pushRevision`, `due` and `lease` kinds).
    static func idAtEnd(of key: UnsafeRawBufferPointer) -> TypeID {
        let o = key.count - 16
        return TypeID(
            prefix: .event, high: key.loadUnaligned(fromByteOffset: o, as: UInt64.self).bigEndian,
            low: key.loadUnaligned(fromByteOffset: o + 8, as: UInt64.self).bigEndian)
    }
}
