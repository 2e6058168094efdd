/// What the store records about its own format, and the upgrades it runs when it opens: records of
/// format 1 get their checksum, and a search index built with other Unicode tables is rebuilt.
enum StoreFormat {
    /// The `meta` key of the Unicode version the search data (lowercased text, grams) was made with.
    static var unicodeKey: [UInt8] { Array("searchUnicodeVersion".utf8) }

    /// The Unicode version of this toolchain's character tables, which `JavaScriptCase` lowercases with:
    /// the newest `age` of any scalar, e.g. `"16.0"`.
    static let unicodeVersion: String = {
        var best = (major: 0, minor: 0)
        var v: UInt32 = 0
        while v <= 0x10FFFF {
            if v == 0xD800 { v = 0xE000 }
            if let age = Unicode.Scalar(v)?.properties.age, (age.major, age.minor) > (best.major, best.minor) {
                best = (age.major, age.minor)
            }
            v += 1
        }
        return "\(best.major).\(best.minor)"
    }()
}

extension Engine {
    /// Rewrites every record of a format-1 store with its checksum (in the caller's transaction).
    static func upgradeRecordsFromFormat1(_ txn: S.WriteTxn, progress: ((String) -> Void)?) throws {
        let total = try txn.entryCount(.events)
        var done = 0
        var after: [UInt8]? = nil
        while true {
            var batch: [([UInt8], [UInt8])] = []
            var cursor = try txn.makeCursor(.events)
            var more = try after.map { try cursor.seek(atOrAfter: $0 + [0]) } ?? cursor.first()
            while more && batch.count < 4096 {
                batch.append(try cursor.withCurrent { k, v in (Array(k), try RecordCodec.upgradedFromVersion1(v)) })
                more = try cursor.next()
            }
            for (k, v) in batch { try txn.put(.events, k, v) }
            done += batch.count
            progress?("upgrading the store to format 4 (record checksums): \(done) of \(total) records")
            guard more, let last = batch.last?.0 else { return }
            after = last
        }
    }

    /// Rewrites the index entries of a format 1 or 3 store whose keys format 4 changed, in batches, in the
    /// caller's transaction: the per-target ones (`kind ‖ target ‖ rest` for `targetStatus`, `targetQueue`
    /// and `queueHead`) move under ``IndexKind/perTarget`` (`perTarget ‖ target ‖ kind ‖ rest`), and the
    /// instance+status ones (`6 ‖ org ‖ instance ‖ status ‖ order`) become
    /// `instanceStatus ‖ org ‖ status ‖ instance ‖ order`.
    static func regroupIndexEntriesForFormat4(_ txn: S.WriteTxn, progress: ((String) -> Void)?) throws {
        let legacyLength = 1 + 16 + 16 + 1 + IndexKey.orderSuffixLength
        try rewriteIndexEntries(txn, withPrefix: [6], progress: progress, "instance and status entries keyed status first") { k in
            guard k.count == legacyLength else { return nil }
            return IndexKey.prefix(.instanceStatus, Array(k[1..<17]), [k[33]], Array(k[17..<33])) + k[34...]
        }
        for kind in [IndexKind.targetStatus, .targetQueue, .queueHead] {
            try rewriteIndexEntries(txn, withPrefix: [kind.rawValue], progress: progress, "index entries grouped by target") { k in
                k.count > 17 ? IndexKey.prefix(kind, Array(k[1..<17])) + k[17...] : nil
            }
        }
    }

    /// Moves every `indexes` entry whose key starts with `prefix` to the key `rewrite` makes of it (values
    /// are empty for these kinds), in batches of 65,536; an entry `rewrite` refuses (damaged, of the wrong
    /// length) is dropped, and `verify` reports what is then missing. The new keys must not start with
    /// `prefix`.
    private static func rewriteIndexEntries(
        _ txn: S.WriteTxn, withPrefix prefix: [UInt8], progress: ((String) -> Void)?, _ what: String,
        _ rewrite: ([UInt8]) -> [UInt8]?
    ) throws {
        var moved = 0
        while true {
            var batch: [[UInt8]] = []
            try txn.forEachKey(withPrefix: prefix) { k in
                batch.append(Array(k))
                return batch.count < 65_536
            }
            if batch.isEmpty { return }
            for k in batch {
                try txn.delete(.indexes, k)
                if let new = rewrite(k) { try txn.put(.indexes, new, []) }
            }
            moved += batch.count
            progress?("upgrading the store to format 4 (\(what)): \(moved) entries moved")
        }
    }

    /// When the search data was made with other Unicode tables than this toolchain's (or with unknown
    /// ones), rebuilds it: every record's lowercased search text is rewritten, the gram containers are
    /// dropped and made again one seq chunk at a time, then the version is recorded. One write
    /// transaction: a crash leaves the old index and the old version.
    func rebuildSearchIndexIfUnicodeChanged(progress: ((String) -> Void)?) throws {
        let current = Array(StoreFormat.unicodeVersion.utf8)
        let stored = try storage.read { try $0.get(.meta, StoreFormat.unicodeKey) }
        guard stored != current else { return }
        let was = stored.map { String(decoding: $0, as: UTF8.self) } ?? "an unrecorded version"
        try storage.write { txn in
            let total = try txn.entryCount(.events)
            progress?("rebuilding the search index: it was made with Unicode \(was), this build has Unicode \(StoreFormat.unicodeVersion); \(total) records")
            // The order entries (org ‖ 0 ‖ seq → id) list the records in (org, seq) order; containers go.
            var orders: [(key: [UInt8], id: [UInt8])] = []
            var containers: [[UInt8]] = []
            var cursor = try txn.makeCursor(.search)
            var more = try cursor.first()
            while more {
                try cursor.withCurrent { k, v in
                    if k.count == 21, k[16] == 0, v.count == 24 {
                        orders.append((Array(k), OrderKey(v, offset: 0).idBytes))
                    } else {
                        containers.append(Array(k))
                    }
                }
                more = try cursor.next()
            }
            for k in containers { try txn.delete(.search, k) }
            var batch = SearchBatch()
            var scope: [UInt8] = []  // org ‖ chunk of the batch
            for (i, entry) in orders.enumerated() {
                let seq = entry.key.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 17, as: UInt32.self).bigEndian }
                let here = Array(entry.key[0..<16]) + withUnsafeBytes(of: SearchIndex.chunk(seq).bigEndian, Array.init)
                if here != scope {
                    try batch.flush(txn)
                    batch = SearchBatch()
                    scope = here
                }
                guard let old = try txn.get(.events, entry.id) else { continue }
                let record = try old.withUnsafeBytes { o in
                    let view = try RecordView(o)
                    return RecordCodec.encode(try RecordCodec.decode(o), lease: view.lease, searchSeq: view.searchSeq, promoted: view.isPromoted)
                }
                try record.withUnsafeBytes { batch.add(try RecordView($0), seq: seq) }
                if record != old { try txn.put(.events, entry.id, record) }
                if (i + 1) % 65536 == 0 { progress?("rebuilding the search index: \(i + 1) of \(orders.count) records") }
            }
            try batch.flush(txn)
            progress?("rebuilt the search index of \(orders.count) records")
            try txn.put(.meta, StoreFormat.unicodeKey, current)
        }
    }
}
