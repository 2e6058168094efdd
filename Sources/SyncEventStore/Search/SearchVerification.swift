/// `verify` for the `search` table, streaming: one organization's seq chunk (8,192 records) at a time.
extension Engine {
    /// Checks the `search` table against the records both ways: every record with a search seq has its
    /// order entry, every order entry points at a record with that seq, and every container holds exactly
    /// the seqs whose search text has its gram. Memory: the postings of one seq chunk.
    func verifySearchIndex(maximumProblems: Int = 100) throws -> [String] {
        if let lmdb = storage as? LMDBStorage {
            let damaged = try lmdb.checkPages(of: [.events, .search], maximumProblems: maximumProblems)
            if !damaged.isEmpty { return damaged }
        }
        return try storage.read { txn in
            var problems = ProblemList(maximum: maximumProblems)
            // Records → order entries.
            var withSeq = 0
            var records = try txn.makeCursor(.events)
            var more = try records.first()
            while more {
                try records.withCurrent { _, value in
                    guard let r = try? RecordView(value) else { return }  // reported by verifyIndexes
                    guard let seq = r.searchSeq else { return problems.report("event \(r.id): no search seq") }
                    withSeq += 1
                    var order: [UInt8] = []
                    OrderKey(startedAt: r.startedAt.millisecondsSince1970, id: r.id).append(to: &order)
                    let stored = try txn.get(.search, SearchIndex.seqKey(org: r.organizationBytes, seq: seq))
                    if stored == nil { problems.report("event \(r.id): missing search order entry (seq \(seq))") }
                    else if stored != order { problems.report("event \(r.id): search order entry of seq \(seq) is stale") }
                }
                more = try records.next()
            }
            // Order entries → records, chunk by chunk, and each chunk's expected containers.
            var orderEntries = 0
            var scope: (org: [UInt8], chunk: UInt32)? = nil
            var batch = SearchBatch()
            var expectedContainers: [[UInt8]: Int] = [:]  // org ‖ chunk → containers expected
            func finishScope() throws {
                guard let s = scope else { return }
                var count = 0
                for (id, lows) in batch.postings {
                    count += 1
                    let key = id.key()
                    var got: [UInt16] = []
                    guard try txn.withValue(.search, key, { PostingContainer(bytes: $0).forEach { got.append($0) } }) != nil else {
                        problems.report("missing search container \(hex(key))")
                        continue
                    }
                    if got != lows.sorted() {
                        problems.report("search container \(hex(key)) holds \(got.count) entries, expected \(lows.count)")
                    }
                }
                expectedContainers[s.org + withUnsafeBytes(of: s.chunk.bigEndian, Array.init)] = count
                batch = SearchBatch()
            }
            var actualContainers: [[UInt8]: Int] = [:]
            var cursor = try txn.makeCursor(.search)
            more = try cursor.first()
            while more {
                try cursor.withCurrent { k, v in
                    guard k.count > 17 else { return problems.report("search key of \(k.count) bytes: \(hex(Array(k)))") }
                    let org = Array(k[0..<16])
                    let n = Int(k[16])
                    if n == 0 {
                        guard k.count == 21, v.count == 24 else { return problems.report("damaged search order entry \(hex(Array(k)))") }
                        orderEntries += 1
                        let seq = k.loadUnaligned(fromByteOffset: 17, as: UInt32.self).bigEndian
                        let chunk = SearchIndex.chunk(seq)
                        if scope == nil || scope!.org != org || scope!.chunk != chunk {
                            try finishScope()
                            scope = (org, chunk)
                        }
                        let id = OrderKey(v, offset: 0).id
                        let ok = try txn.withValue(.events, id.bytes) { value -> Bool in
                            guard let r = try? RecordView(value), r.searchSeq == seq, r.organizationBytes.elementsEqual(org) else { return false }
                            batch.add(r, seq: seq)
                            return true
                        } ?? false
                        if !ok { problems.report("stray search order entry \(hex(Array(k))) (no record of that organization has seq \(seq))") }
                    } else {
                        guard n <= 3, k.count == 17 + n + 4 else { return problems.report("damaged search key \(hex(Array(k)))") }
                        actualContainers[org + Array(k[(17 + n)...]), default: 0] += 1
                    }
                }
                more = try cursor.next()
            }
            try finishScope()
            if orderEntries > withSeq { problems.report("\(orderEntries - withSeq) stray search order entries") }
            for (scopeKey, count) in actualContainers where count > expectedContainers[scopeKey] ?? 0 {
                problems.report("\(count - (expectedContainers[scopeKey] ?? 0)) stray search containers in organization \(hex(Array(scopeKey[0..<16]))) chunk \(hex(Array(scopeKey[16...])))")
            }
            return problems.result
        }
    }
}
