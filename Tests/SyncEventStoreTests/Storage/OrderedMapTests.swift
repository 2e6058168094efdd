import Testing
@testable import SyncEventStore

/// The storage contract, checked on both engines against a plain sorted-array model.
@Suite("Ordered key-value storage")
struct OrderedMapTests {
    static func randomKey(_ r: inout SeededRandomSource) -> [UInt8] {
        (0..<(1 + Int(r.next() % 4))).map { _ in UInt8(r.next() % 6) }
    }

    func exercise<S: KeyValueStorage>(_ storage: S, seed: UInt64) throws {
        var r = SeededRandomSource(seed: seed)
        var model: [[UInt8]: [UInt8]] = [:]
        for round in 0..<40 {
            // Some transactions abort: the model must not change then.
            let abort = round % 7 == 3
            var staged = model
            do {
                try storage.write { txn in
                    for _ in 0..<(1 + Int(r.next() % 60)) {
                        let k = Self.randomKey(&r)
                        if r.next() % 3 == 0 {
                            let existed = try txn.delete(.indexes, k)
                            #expect(existed == (staged[k] != nil))
                            staged[k] = nil
                        } else {
                            let v = [UInt8(round), UInt8(r.next() % 256)]
                            try txn.put(.indexes, k, v)
                            staged[k] = v
                        }
                    }
                    // Reads inside the transaction see its own writes.
                    try check(txn, staged, &r)
                    if abort { throw CancellationError() }
                }
                model = staged
            } catch is CancellationError {}
            try storage.read { txn in try check(txn, model, &r) }
        }
    }

    func check(_ txn: some StorageReadTransaction, _ model: [[UInt8]: [UInt8]], _ r: inout SeededRandomSource) throws {
        let sorted = model.keys.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(try txn.entryCount(.indexes) == sorted.count)
        var cursor = try txn.makeCursor(.indexes)
        var forward: [[UInt8]] = []
        if try cursor.first() {
            repeat { forward.append(try cursor.key) } while try cursor.next()
        }
        #expect(forward == sorted)
        var backward: [[UInt8]] = []
        if try cursor.last() {
            repeat { backward.append(try cursor.key) } while try cursor.previous()
        }
        #expect(backward == sorted.reversed())
        for _ in 0..<20 {
            let probe = Self.randomKey(&r)
            let expected = sorted.first { !$0.lexicographicallyPrecedes(probe) }
            let found = try cursor.seek(atOrAfter: probe)
            #expect(found == (expected != nil))
            if let expected {
                #expect(try cursor.key == expected)
                #expect(try cursor.value == model[expected])
            }
            #expect(try txn.get(.indexes, probe) == model[probe])
            let before = sorted.last { !probe.lexicographicallyPrecedes($0) }
            #expect(try cursor.seek(atOrBefore: probe) == (before != nil))
            if let before { #expect(try cursor.key == before) }
            // An exact look-up through the cursor (the page walk's record reads) lands on the key, so the
            // cursor goes on from there; with the key absent it finds nothing.
            let exact = try probe.withUnsafeBytes { p in try cursor.withValue(at: p) { Array($0) } }
            #expect(exact == model[probe])
            if exact != nil {
                #expect(try cursor.key == probe)
                let after = sorted.first { probe.lexicographicallyPrecedes($0) }
                #expect(try cursor.next() == (after != nil))
                if let after { #expect(try cursor.key == after) }
            }
        }
        // Exact look-ups in descending order through one cursor, as a page reads its records (LMDB tries
        // the key just before the cursor first): neighbours, small gaps, absent keys, jumps back up.
        var walker = try txn.makeCursor(.indexes)
        func lookUp(_ key: [UInt8]) throws {
            let got = try key.withUnsafeBytes { p in try walker.withValue(at: p) { Array($0) } }
            #expect(got == model[key])
            if got != nil { #expect(try walker.key == key) }
        }
        var i = sorted.count - 1
        while i >= 0 {
            try lookUp(sorted[i])
            if r.next() % 5 == 0 { try lookUp(Self.randomKey(&r)) }
            if r.next() % 7 == 0 { try lookUp(sorted[min(sorted.count - 1, i + 1 + Int(r.next() % 4))]) }
            i -= 1 + Int(r.next() % 3)
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func memoryMatchesModel(seed: UInt64) throws {
        try exercise(MemoryStorage(), seed: seed)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func lmdbMatchesModel(seed: UInt64) throws {
        let dir = TemporaryDirectory()
        let storage = try LMDBStorage(path: dir.sub("kv"), configuration: LMDBOptions())
        defer { storage.close() }
        try exercise(storage, seed: seed)
    }

    /// Enough keys to split chunks many times, then deletes that empty some: order and contents hold,
    /// and a snapshot taken before the writes does not change.
    @Test func memoryChunksSplitAndEmpty() throws {
        let storage = MemoryStorage()
        var r = SeededRandomSource(seed: 9)
        var model = Set<[UInt8]>()
        for _ in 0..<4 {
            try storage.write { txn in
                for _ in 0..<3000 {
                    let k = withUnsafeBytes(of: (r.next() % 20_000).bigEndian) { Array($0) }
                    try txn.put(.indexes, k, [1])
                    model.insert(k)
                }
            }
        }
        let before = try storage.read { txn in (txn as MemoryReadTransaction) }
        try storage.write { txn in
            for k in model.sorted(by: { $0.lexicographicallyPrecedes($1) }) where r.next() % 3 != 0 {
                let existed = try txn.delete(.indexes, k)
                #expect(existed)
                model.remove(k)
            }
        }
        let expected = model.sorted { $0.lexicographicallyPrecedes($1) }
        try storage.read { txn in
            var keys: [[UInt8]] = []
            var c = try txn.makeCursor(.indexes)
            if try c.first() { repeat { keys.append(try c.key) } while try c.next() }
            #expect(keys == expected)
        }
        #expect(try before.entryCount(.indexes) > expected.count)
    }

    @Test func memoryCursorSurvivesWritesInItsTransaction() throws {
        let storage = MemoryStorage()
        try storage.write { txn in
            for i in 0..<1000 { try txn.put(.indexes, [UInt8(i >> 8), UInt8(i & 255)], []) }
        }
        // Delete every entry while walking: the cursor must visit each exactly once.
        var visited = 0
        try storage.write { txn in
            var c = try txn.makeCursor(.indexes)
            var more = try c.first()
            while more {
                let k = try c.key
                _ = try txn.delete(.indexes, k)
                visited += 1
                more = try c.next()
            }
        }
        #expect(visited == 1000)
        #expect(try storage.read { try $0.entryCount(.indexes) } == 0)
    }

    /// A cursor is closed when its last user lets go of it, not only when its transaction ends: LMDB
    /// walks every open cursor of a table on each put of a write transaction, so a long transaction
    /// that looks keys up as it writes (the bulk import checks each target's queue) became quadratic.
    /// A cursor still in use stays open, and the transaction closes what is left at its end.
    @Test func lmdbCursorsCloseWhenTheirUsersAreDone() throws {
        let dir = TemporaryDirectory()
        let storage = try LMDBStorage(path: dir.sub("kv"), configuration: LMDBOptions())
        defer { storage.close() }
        try storage.write { txn in
            for i in 0..<10_000 {
                try txn.put(.indexes, [UInt8(i >> 8), UInt8(i & 255)], [])
                #expect(try txn.hasKey(in: .indexes, withPrefix: [UInt8(i >> 8)]))
            }
            #expect(txn.openCursorCount == 0)
            var held = try txn.makeCursor(.indexes)
            #expect(txn.openCursorCount == 1)
            #expect(try held.first())
            try txn.put(.indexes, [0xFF, 0xFF], [])
            #expect(try held.key == [0, 0])
            #expect(txn.openCursorCount == 1)
        }
        #expect(try storage.read { try $0.entryCount(.indexes) } == 10_001)
    }

    @Test func samePathCannotBeOpenedTwice() throws {
        let dir = TemporaryDirectory()
        let a = try SyncEventStore.open(at: dir.sub("s"))
        #expect(throws: SyncEventStoreError.alreadyOpen(path: dir.sub("s"))) { try SyncEventStore.open(at: dir.sub("s")) }
        a.close()
        let b = try SyncEventStore.open(at: dir.sub("s"))
        b.close()
    }
}
