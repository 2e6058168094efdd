// Provisional (cli branch): the write side owns this file; when its version lands, keep that one.
extension Engine {
    /// Checks every index entry against the records and every record against the indexes.
    ///
    /// - Returns: one line per problem (empty when the indexes agree with the records), at most
    ///   `limit` lines.
    func verifyIndexes(limit: Int = 1000) throws -> [String] {
        try storage.read { txn in
            var problems: [String] = []
            func report(_ p: String) { if problems.count < limit { problems.append(p) } }
            // 1. Every record has all its entries.
            var expected = 0
            var records = try txn.makeCursor(.events)
            if try records.first() {
                repeat {
                    let (id, keys) = try records.withCurrent { key, value -> (String, [[UInt8]]) in
                        let view = try RecordView(value)
                        guard view.idBytes.elementsEqual(key) else {
                            throw StorageError.corrupted("record under key \(hex(key)) holds id \(view.id)")
                        }
                        return (view.id.description, IndexKey.keys(for: view))
                    }
                    expected += keys.count
                    for k in keys where try txn.withValue(.indexes, k, { _ in true }) == nil {
                        report("event \(id): missing \(kindName(k)) index entry \(hex(k))")
                    }
                } while try records.next()
            }
            // 2. Every entry belongs to a record that produces it (only walked when the counts differ or
            //    something is already wrong, since entries include the record id and so cannot be shared).
            let actual = try txn.entryCount(.indexes)
            guard actual != expected || !problems.isEmpty else { return problems }
            if actual != expected {
                report("the indexes hold \(actual) entries, the records need \(expected)")
            }
            var entries = try txn.makeCursor(.indexes)
            if try entries.first() {
                repeat {
                    let key = try entries.key
                    guard let id = recordID(ofIndexKey: key) else {
                        report("index entry \(hex(key)) has an unknown kind or length")
                        continue
                    }
                    let produced = try txn.withValue(.events, id.bytes) { value in
                        IndexKey.keys(for: try RecordView(value)).contains(key)
                    }
                    switch produced {
                    case nil: report("\(kindName(key)) index entry \(hex(key)) names event \(id), which does not exist")
                    case false?: report("\(kindName(key)) index entry \(hex(key)) does not match event \(id)")
                    case true?: break
                    }
                } while try entries.next()
            }
            return problems
        }
    }

    /// The event id an index key ends with (complemented in list keys).
    private func recordID(ofIndexKey key: [UInt8]) -> TypeID? {
        guard let first = key.first, let kind = IndexKind(rawValue: first), key.count >= 17 else { return nil }
        switch kind {
        case .pushRevision, .due, .lease:
            return TypeID(prefix: .event, bytes: key.suffix(16))
        default:
            guard key.count >= 1 + IndexKey.orderSuffixLength else { return nil }
            return key.withUnsafeBytes { IndexKey.order(fromKeyEnd: $0).id }
        }
    }

    private func kindName(_ key: [UInt8]) -> String {
        key.first.flatMap { IndexKind(rawValue: $0) }?.name ?? "unknown"
    }
}

private func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}
