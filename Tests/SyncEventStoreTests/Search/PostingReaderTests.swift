import Testing

@testable import SyncEventStore

/// The lazy reader of posting containers against the containers' own decoding, for both encodings
/// (delta varints below ``SearchIndex/arrayLimit`` values, bitmaps above), and the lazy intersection
/// against a set intersection.
@Suite struct PostingReaderTests {
    /// A container of `count` random values below the chunk size, and the sorted values.
    static func container(_ count: Int, using rng: inout SeededRandomSource) -> (PostingContainer, [UInt16]) {
        var c = PostingContainer()
        var values = Set<UInt16>()
        while values.count < count {
            let v = UInt16.random(in: 0..<UInt16(SearchIndex.chunkSize), using: &rng)
            if values.insert(v).inserted { _ = c.insert(v) }
        }
        return (c, values.sorted())
    }

    /// A reader over `container`'s stored bytes, through a one-entry in-memory table.
    static func reader(_ container: PostingContainer) throws -> PostingReader {
        let storage = MemoryStorage()
        let prefix: [UInt8] = [7, 3, 0x61, 0x62, 0x63]
        try storage.write { txn in try txn.put(.search, prefix + [0, 0, 0, 0], container.encoded()) }
        return try storage.read { txn in
            var stream = GramContainers(cursor: try txn.makeCursor(.search), prefix: prefix)
            _ = try stream.first()
            var r = PostingReader()
            try r.load(stream)
            return r
        }
    }

    /// `SearchIndex.candidates` against a set intersection, over a needle of 6 grams spread across 80
    /// chunks: each gram misses some chunks, the last one 30 in a row (so that it is reached by a descent,
    /// not step by step), and the densities differ per gram and chunk, so that a chunk is often left after
    /// the first one or two grams. Both engines.
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func candidatesAreTheIntersectionAcrossManyChunks(seed: UInt64) throws {
        let dir = TemporaryDirectory()
        let lmdb = try LMDBStorage(path: dir.sub("kv"), configuration: LMDBOptions())
        defer { lmdb.close() }
        try checkCandidates(MemoryStorage(), seed: seed)
        try checkCandidates(lmdb, seed: seed)
    }

    func checkCandidates<S: KeyValueStorage>(_ storage: S, seed: UInt64) throws {
        var rng = SeededRandomSource(seed: seed)
        let org = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let needle = Array("abcdefgh".utf8)
        let grams = SearchIndex.needleGrams(needle)
        #expect(grams.count == 6)
        var postings: [[UInt32]] = []
        try storage.write { txn in
            for (n, gram) in grams.enumerated() {
                var seqs: [UInt32] = []
                for chunk: UInt32 in 0..<80 {
                    // Each gram misses a tenth of the chunks, and the last one chunks 20–49 as well.
                    if rng.next() % 10 == 0 || (n == 5 && (20..<50).contains(chunk)) { continue }
                    // Dense in some chunks (a bitmap), sparse in others; the first gram rarest.
                    let count = switch n {
                    case 0: Int.random(in: 1...60, using: &rng)
                    case 1: Int.random(in: 20...8000, using: &rng)
                    default: Int.random(in: 4000...8100, using: &rng)
                    }
                    var container = PostingContainer()
                    for _ in 0..<count { _ = container.insert(UInt16.random(in: 0..<UInt16(SearchIndex.chunkSize), using: &rng)) }
                    let key = org.withUnsafeBytes { SearchIndex.containerKey(org: $0, gram: gram, chunk: chunk) }
                    try txn.put(.search, key, container.encoded())
                    var reader = PostingReader()
                    let stored = try #require(try txn.get(.search, key))
                    stored.withUnsafeBytes { reader.load($0) }
                    while let v = reader.next() { seqs.append(chunk << SearchIndex.chunkBits | UInt32(v)) }
                }
                postings.append(seqs)
            }
            // Every seq of the rarest gram gets a list position (a candidate is one of them; only the
            // intersection's are read).
            for seq in postings[0] {
                let key = org.withUnsafeBytes { SearchIndex.seqKey(org: $0, seq: seq) }
                var order: [UInt8] = []
                OrderKey(startedAt: Int64(seq % 977), id: TypeID(prefix: .event, high: UInt64(seq), low: 7)).append(to: &order)
                try txn.put(.search, key, order)
            }
        }
        var expected = Set(postings[0])
        for p in postings.dropFirst() { expected.formIntersection(p) }
        let expectedKeys = expected.map { OrderKey(startedAt: Int64($0 % 977), id: TypeID(prefix: .event, high: UInt64($0), low: 7)) }.sorted()
        #expect(expected.count >= 10, "the data should leave a real intersection")
        let found = try storage.read { txn in
            try SearchIndex.candidates(txn, org: org, needle: needle, maximum: 1_000_000)
        }
        #expect(found == expectedKeys)
    }

    /// A gram's total is exact up to ``GramContainers/sampledContainers`` containers and estimated from the
    /// newest ones past that; a gram's neighbours in the table (other grams) never count.
    @Test func gramTotalsAreExactWhenSmallAndEstimatedWhenLarge() throws {
        var rng = SeededRandomSource(seed: 5)
        let storage = MemoryStorage()
        let prefix: [UInt8] = [7, 3, 0x61, 0x62, 0x63]
        let before: [UInt8] = [7, 3, 0x61, 0x62, 0x62]
        let after: [UInt8] = [7, 3, 0x61, 0x62, 0x64]
        func chunkKey(_ p: [UInt8], _ chunk: UInt32) -> [UInt8] { p + withUnsafeBytes(of: chunk.bigEndian) { Array($0) } }
        var exact = 0
        // 40 containers of 300 values each, in chunks 0, 2, 4, …, 78 (a gram in every other chunk).
        try storage.write { txn in
            for k in 0..<40 {
                let (c, values) = Self.container(300, using: &rng)
                exact += values.count
                try txn.put(.search, chunkKey(prefix, UInt32(2 * k)), c.encoded())
            }
            let (big, _) = Self.container(5000, using: &rng)
            try txn.put(.search, chunkKey(before, 90), big.encoded())
            try txn.put(.search, chunkKey(after, 0), big.encoded())
        }
        func total(_ p: [UInt8]) throws -> Int {
            try storage.read { txn in
                var stream = GramContainers(cursor: try txn.makeCursor(.search), prefix: p)
                return try stream.total()
            }
        }
        let estimate = try total(prefix)
        #expect(estimate >= exact / 2 && estimate <= exact * 2, "estimate \(estimate), exact \(exact)")
        #expect(try total(before) == 5000)
        #expect(try total(after) == 5000)
        #expect(try total([7, 3, 0x7A, 0x7A, 0x7A]) == 0)
        // A gram with few containers is summed exactly.
        let few: [UInt8] = [7, 3, 0x71, 0x71, 0x71]
        var fewExact = 0
        try storage.write { txn in
            for chunk: UInt32 in [3, 50, 51] {
                let (c, values) = Self.container(777, using: &rng)
                fewExact += values.count
                try txn.put(.search, chunkKey(few, chunk), c.encoded())
            }
        }
        #expect(try total(few) == fewExact)
    }

    @Test(arguments: [0, 1, 5, 200, 1024, 1025, 3000, 8192])
    func readsEveryValueInOrder(count: Int) throws {
        var rng = SeededRandomSource(seed: UInt64(count) + 1)
        let (c, values) = Self.container(count, using: &rng)
        var r = try Self.reader(c)
        #expect(r.remaining == values.count)
        var read: [UInt16] = []
        while let v = r.next() { read.append(v) }
        #expect(read == values)
        #expect(r.remaining == 0)
    }

    @Test(arguments: [40, 900, 2000])
    func seekStopsAtTheFirstValueNotBelowTheTargetAndKeepsIt(count: Int) throws {
        var rng = SeededRandomSource(seed: UInt64(count) * 7)
        for _ in 0..<20 {
            let (c, values) = Self.container(count, using: &rng)
            var r = try Self.reader(c)
            var passed = 0  // values before this index are passed
            var targets = (0..<30).map { _ in UInt16.random(in: 0..<UInt16(SearchIndex.chunkSize), using: &rng) }
            targets.sort()
            for target in targets {
                let expected = values[passed...].first { $0 >= target }
                #expect(r.seek(target) == expected)
                // Seeking the same target again returns the same value: it was not passed.
                #expect(r.seek(target) == expected)
                guard let e = expected else { break }
                passed = values.firstIndex(of: e)!
                #expect(r.remaining == values.count - passed)
            }
            // next() after a seek returns the value the seek stopped at, then the ones after it.
            if passed < values.count, let first = r.next() {
                #expect(first == values[passed])
                if passed + 1 < values.count { #expect(r.next() == values[passed + 1]) }
            }
        }
    }

    @Test func damagedContainersReadAsFewerValuesNeverPastTheirEnd() throws {
        var rng = SeededRandomSource(seed: 99)
        for count in [10, 500, 2000] {
            let (c, _) = Self.container(count, using: &rng)
            let full = c.encoded()
            for cut in [0, 3, 5, 6, full.count / 2, full.count - 1] {
                let storage = MemoryStorage()
                let prefix: [UInt8] = [1, 1, 0x61]
                try storage.write { txn in try txn.put(.search, prefix + [0, 0, 0, 1], Array(full.prefix(cut)) + []) }
                let read = try storage.read { txn -> Int in
                    var stream = GramContainers(cursor: try txn.makeCursor(.search), prefix: prefix)
                    _ = try stream.first()
                    var r = PostingReader()
                    try r.load(stream)
                    var n = 0
                    while r.next() != nil { n += 1 }
                    return n
                }
                #expect(read <= count)
            }
        }
    }
}

/// `SearchIndex.candidates` over several chunks of one organization, with dense grams (bitmaps) and
/// sparse ones (delta arrays), against the events whose search text contains every gram of the needle.
@Suite struct CandidateIntersectionTests {
    @Test(arguments: Backend.allCases)
    func candidatesAreExactlyTheEventsHoldingEveryGram(backend: Backend) throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(backend, dir)
        var f = Fixtures(seed: 404)
        let org = f.id(.organization)
        let instance = f.id(.connectorInstance)
        func word(_ n: Int, _ alphabet: [Character]) -> String {
            String((0..<n).map { _ in alphabet[Int(f.random.next() % UInt64(alphabet.count))] })
        }
        let dense = Array("abc")
        let sparse = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var texts: [TypeID: String] = [:]
        var events: [SyncEvent] = []
        // 20k events: three chunks of 8,192 seqs.
        for i in 0..<20_000 {
            var e = f.event(org: org, instance: instance, startedAt: 1_767_000_000_000 + Int64(i))
            e.sourceRevisionRef = word(8, dense)
            e.externalEventRef = word(10, sparse)
            texts[e.id] = (e.externalEventRef ?? "") + "\n" + (e.sourceRevisionRef ?? "")
            events.append(e)
        }
        try store.record(contentsOf: events)
        let ids = Dictionary(uniqueKeysWithValues: events.map { (OrderKey(startedAt: $0.startedAt.millisecondsSince1970, id: $0.id), $0.id) })
        var needles = (0..<12).map { _ in word(3 + Int(f.random.next() % 3), dense) }
        needles += (0..<12).map { _ in word(3 + Int(f.random.next() % 2), sparse) }
        needles += ["ab", "z", "abca", "cbac", "zz9"]
        for needle in needles {
            let grams = needle.count < 3 ? [needle] : (0...(needle.count - 3)).map {
                String(Array(needle)[$0..<($0 + 3)])
            }
            let expected = Set(texts.filter { _, text in grams.allSatisfy { text.contains($0) } }.keys)
            for maximum in [Int.max / 4, 64] {
                let found: [OrderKey]? = try {
                    switch store.backend {
                    case .lmdb(let e):
                        return try e.storage.read { try SearchIndex.candidates($0, org: org.bytes, needle: Array(needle.utf8), maximum: maximum) }
                    case .memory(let e):
                        return try e.storage.read { try SearchIndex.candidates($0, org: org.bytes, needle: Array(needle.utf8), maximum: maximum) }
                    }
                }()
                if maximum > 20_000 || needle.count < 3 && found != nil {
                    let keys = try #require(found, "\(needle)")
                    #expect(keys == keys.sorted(), "\(needle)")
                    let differ = Set(keys.compactMap { ids[$0] }).symmetricDifference(expected).count
                    #expect(differ == 0, "\(needle) max \(maximum): \(differ) of \(expected.count) differ")
                    #expect(keys.count == expected.count, "\(needle)")
                } else if let keys = found {
                    // Given up (nil) or exact.
                    let differ = Set(keys.compactMap { ids[$0] }).symmetricDifference(expected).count
                    #expect(differ == 0, "\(needle) max \(maximum): \(differ) of \(expected.count) differ")
                }
            }
        }
    }
}
