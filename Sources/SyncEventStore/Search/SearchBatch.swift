/// Posting additions gathered over many new records and written once per container: a batch import
/// touches each container once instead of once per record.
///
/// Only for records new in the batch: their seqs are larger than any already stored, so each container
/// gets values appended in ascending order.
final class SearchBatch {
    struct ContainerID: Hashable {
        var orgHigh: UInt64
        var orgLow: UInt64
        var gram: UInt32
        var chunk: UInt32

        func key() -> [UInt8] {
            var org: [UInt8] = []
            IndexKey.appendBE(orgHigh, to: &org)
            IndexKey.appendBE(orgLow, to: &org)
            return org.withUnsafeBytes { SearchIndex.containerKey(org: $0, gram: gram, chunk: chunk) }
        }
    }

    private(set) var postings: [ContainerID: [UInt16]] = [:]

    /// Adds the grams of a new record.
    func add(_ r: RecordView, seq: UInt32) {
        let org = r.organizationBytes
        let high = org.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian
        let low = org.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian
        for g in r.withSearchText({ SearchIndex.grams(of: $0) }) {
            postings[ContainerID(orgHigh: high, orgLow: low, gram: g, chunk: seq >> 16), default: []]
                .append(UInt16(truncatingIfNeeded: seq))
        }
    }

    /// Writes every gathered container, merged with what is stored.
    func flush(_ txn: some StorageWriteTransaction) throws {
        for (id, lows) in postings {
            let key = id.key()
            var container = try txn.withValue(.search, key) { PostingContainer(bytes: $0) } ?? PostingContainer()
            container.append(contentsOf: lows)
            try txn.put(.search, key, container.encoded())
        }
        postings.removeAll()
    }
}

extension Engine {
    /// Checks the `search` table against the records: every record's order entry and every gram
    /// container, both ways. Holds the expected containers in memory (about 2 bytes per gram per event).
    func verifySearchIndex(maximumProblems: Int = 100) throws -> [String] {
        try storage.read { txn in
            var problems: [String] = []
            func report(_ p: String) { if problems.count < maximumProblems { problems.append(p) } }
            let expected = SearchBatch()
            var orders: [[UInt8]: [UInt8]] = [:]
            var records = try txn.makeCursor(.events)
            var more = try records.first()
            while more {
                try records.withCurrent { _, value in
                    let r = try RecordView(value)
                    guard let seq = r.searchSeq else { return report("event \(r.id): no search seq") }
                    expected.add(r, seq: seq)
                    var order: [UInt8] = []
                    OrderKey(startedAt: r.startedAt.millisecondsSince1970, id: r.id).append(to: &order)
                    orders[SearchIndex.seqKey(org: r.organizationBytes, seq: seq)] = order
                }
                more = try records.next()
            }
            var want: [[UInt8]: [UInt16]] = [:]
            for (id, lows) in expected.postings { want[id.key()] = lows.sorted() }
            var cursor = try txn.makeCursor(.search)
            more = try cursor.first()
            while more {
                try cursor.withCurrent { k, v in
                    let key = Array(k)
                    if key.count == 21, key[16] == 0 {
                        if let order = orders.removeValue(forKey: key) {
                            if !order.elementsEqual(v) { report("search order entry \(key) is stale") }
                        } else {
                            report("stray search order entry \(key)")
                        }
                        return
                    }
                    var got: [UInt16] = []
                    PostingContainer(bytes: v).forEach { got.append($0) }
                    if let lows = want.removeValue(forKey: key) {
                        if lows != got { report("search container \(key) holds \(got.count) entries, expected \(lows.count)") }
                    } else {
                        report("stray search container \(key) with \(got.count) entries")
                    }
                }
                more = try cursor.next()
            }
            for key in want.keys.prefix(5) { report("missing search container \(key)") }
            for key in orders.keys.prefix(5) { report("missing search order entry \(key)") }
            return problems
        }
    }
}
