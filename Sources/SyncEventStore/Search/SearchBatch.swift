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

    /// The postings of one organization and one seq chunk.
    private struct Scope: Hashable {
        var orgHigh: UInt64
        var orgLow: UInt64
        var chunk: UInt32
    }

    private var scopes: [Scope: GramPostings] = [:]

    /// Adds the grams of a new record.
    func add(_ r: RecordView, seq: UInt32) {
        let org = r.organizationBytes
        let scope = Scope(
            orgHigh: org.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian,
            orgLow: org.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian, chunk: SearchIndex.chunk(seq))
        let postings: GramPostings
        if let p = scopes[scope] {
            postings = p
        } else {
            postings = GramPostings()
            scopes[scope] = postings
        }
        let low = SearchIndex.low(seq)
        r.withSearchText { text in
            for n in 1...3 where text.count >= n {
                for i in 0...(text.count - n) { postings.append(SearchIndex.gram(text, i, n), low) }
            }
        }
    }

    /// Every gathered container with its values in ascending order.
    var postings: [ContainerID: [UInt16]] {
        var out: [ContainerID: [UInt16]] = [:]
        for (scope, p) in scopes {
            p.forEach { gram, values in
                out[ContainerID(orgHigh: scope.orgHigh, orgLow: scope.orgLow, gram: gram, chunk: scope.chunk)] = values
            }
        }
        return out
    }

    /// Writes every gathered container, merged with what is stored, in key order (the B-tree fills its
    /// pages instead of splitting them at random): `(org, gram, chunk)` order is key order, since a gram
    /// packs its length before its bytes.
    func flush(_ txn: some StorageWriteTransaction) throws {
        var containers: [(id: ContainerID, lows: [UInt16])] = []
        for (scope, p) in scopes {
            p.forEach { gram, lows in
                containers.append((ContainerID(orgHigh: scope.orgHigh, orgLow: scope.orgLow, gram: gram, chunk: scope.chunk), lows))
            }
        }
        scopes.removeAll()
        containers.sort { a, b in
            (a.id.orgHigh, a.id.orgLow, a.id.gram, a.id.chunk) < (b.id.orgHigh, b.id.orgLow, b.id.gram, b.id.chunk)
        }
        var arena = BulkArena(capacity: containers.count * 64, entries: containers.count)
        var keyEnds: [Int] = []
        keyEnds.reserveCapacity(containers.count)
        for (id, lows) in containers {
            let key = id.key()
            var container = try txn.withValue(.search, key) { PostingContainer(bytes: $0) } ?? PostingContainer()
            container.append(contentsOf: lows)
            arena.bytes.append(contentsOf: key)
            keyEnds.append(arena.bytes.count)
            arena.bytes.append(contentsOf: container.encoded())
            arena.ends.append(arena.bytes.count)
        }
        try arena.bytes.withUnsafeBytes { all in
            try txn.putSorted(.search, count: keyEnds.count) { i in
                let start = i == 0 ? 0 : arena.ends[i - 1]
                return (UnsafeRawBufferPointer(rebasing: all[start..<keyEnds[i]]),
                        UnsafeRawBufferPointer(rebasing: all[keyEnds[i]..<arena.ends[i]]))
            }
        }
    }
}

/// Posting lists of grams for one scope, built by appends: grams get dense ids through an open-addressing
/// table, appends go to one flat buffer of `(id, value)`, and `forEach` buckets the buffer by id (a counting
/// sort, which keeps each list in append order). A gram repeated in one record is stored once.
final class GramPostings {
    // Used by one writer thread only: skip the dynamic exclusivity checks.
    @exclusivity(unchecked) private var table: [Int32]  // slot → gram id, -1 when empty
    @exclusivity(unchecked) private var grams: [UInt32] = []  // id → gram
    @exclusivity(unchecked) private var lastValue: [Int32] = []  // id → last value appended
    @exclusivity(unchecked) private var counts: [Int32] = []  // id → values
    @exclusivity(unchecked) private var entryIDs: [Int32] = []
    @exclusivity(unchecked) private var entryValues: [UInt16] = []

    init() { table = Array(repeating: -1, count: 4096) }

    @inline(__always)
    private func slot(_ gram: UInt32) -> Int {
        let mask = table.count - 1
        var i = Int(truncatingIfNeeded: (gram &* 0x9E37_79B1) >> 7) & mask
        while table[i] >= 0 && grams[Int(table[i])] != gram { i = (i + 1) & mask }
        return i
    }

    private func grow() {
        table = Array(repeating: -1, count: table.count * 2)
        for (id, g) in grams.enumerated() { table[slot(g)] = Int32(id) }
    }

    @inline(__always)
    func append(_ gram: UInt32, _ value: UInt16) {
        var i = slot(gram)
        var id = Int(table[i])
        if id < 0 {
            if (grams.count + 1) * 2 > table.count {
                grow()
                i = slot(gram)
            }
            id = grams.count
            table[i] = Int32(id)
            grams.append(gram)
            lastValue.append(-1)
            counts.append(0)
        } else if lastValue[id] == Int32(value) {
            return
        }
        lastValue[id] = Int32(value)
        counts[id] += 1
        entryIDs.append(Int32(id))
        entryValues.append(value)
    }

    func forEach(_ body: (UInt32, [UInt16]) throws -> Void) rethrows {
        var starts = [Int](repeating: 0, count: grams.count + 1)
        for id in grams.indices { starts[id + 1] = starts[id] + Int(counts[id]) }
        var fill = starts
        var sorted = [UInt16](repeating: 0, count: entryValues.count)
        for k in entryValues.indices {
            let id = Int(entryIDs[k])
            sorted[fill[id]] = entryValues[k]
            fill[id] += 1
        }
        for id in grams.indices { try body(grams[id], Array(sorted[starts[id]..<starts[id + 1]])) }
    }
}
