/// `verify`: every record checked against its checksum and its own fields, every index entry and search
/// entry against the records, both ways, streaming: memory stays at one search chunk (8,192 records),
/// whatever the size of the store.
///
/// Index entries are matched without holding them: every record's expected entries are looked up (none
/// missing), and the entries of each kind are counted; keys include the record id, so expected keys are
/// distinct, and a kind holds stray entries exactly when it has more entries than expected ones found.
/// Only such a kind is walked entry by entry to name its strays.
extension Engine {
    /// A bounded list of problems: the first `maximum`, then a count of the rest.
    struct ProblemList {
        var maximum: Int
        var items: [String] = []
        var overflow = 0
        mutating func report(_ p: String) {
            if items.count < maximum { items.append(p) } else { overflow += 1 }
        }
        var result: [String] { overflow > 0 ? items + ["… and \(overflow) more problems"] : items }
    }

    /// Checks records and the `indexes` table.
    ///
    /// - Parameter maximumProblems: stop listing after this many problems (the last line says how many
    ///   more were found).
    /// - Returns: human-readable problems, empty when the records and indexes are consistent.
    func verifyIndexes(maximumProblems: Int = 100) throws -> [String] {
        // Damaged B-tree pages first: LMDB would trust them.
        if let lmdb = storage as? LMDBStorage {
            let damaged = try lmdb.checkPages(of: [.events, .indexes, .meta], maximumProblems: maximumProblems)
            if !damaged.isEmpty { return damaged }
        }
        return try storage.read { txn in
            var problems = ProblemList(maximum: maximumProblems)
            var found = [Int](repeating: 0, count: 256)  // expected entries present, per kind
            var records = try txn.makeCursor(.events)
            var more = try records.first()
            while more {
                try records.withCurrent { key, value in
                    guard let (view, keys) = checkRecord(key: key, value: value, in: txn, &problems) else { return }
                    for k in keys {
                        let kind = IndexKey.kind(of: k)
                        if let valid = try txn.withValue(.indexes, k, { IndexKey.entryValueIsValid($0, kind: kind, of: view) }) {
                            found[Int(kind)] += 1
                            if !valid {
                                problems.report("event \(TypeID(prefix: .event, bytes: key)): \(IndexKind(rawValue: kind)!.name) index entry \(hex(k)) holds a wrong value")
                            }
                        } else {
                            problems.report("event \(TypeID(prefix: .event, bytes: key)): missing \(IndexKind(rawValue: kind)!.name) index entry \(hex(k))")
                        }
                    }
                }
                more = try records.next()
            }
            try checkQueueHeads(in: txn, found: &found, &problems)
            var actual = [Int](repeating: 0, count: 256)
            var entries = try txn.makeCursor(.indexes)
            more = try entries.first()
            while more {
                try entries.withCurrent { key, _ in
                    if key.isEmpty { problems.report("empty index key") } else { actual[Int(IndexKey.kind(of: key))] += 1 }
                }
                more = try entries.next()
            }
            for kind in 0..<256 where actual[kind] > found[kind] {
                // A per-target kind's entries sit under `perTarget`; entries left at their own byte (the
                // layout before format 4) are strays too.
                let known = IndexKind(rawValue: UInt8(kind))
                let prefixes: [UInt8] = known?.isPerTarget == true ? [IndexKind.perTarget.rawValue, UInt8(kind)] : [UInt8(kind)]
                for p in prefixes {
                    try txn.forEachKey(withPrefix: [p]) { key in
                        guard IndexKey.kind(of: key) == UInt8(kind) else { return true }
                        if let known, known != .perTarget {
                            if !(try isOwned(key, known, in: txn)) { problems.report("stray \(known.name) index entry \(hex(Array(key))) (no record has it)") }
                        } else {
                            problems.report("index entry of unknown kind \(kind): \(hex(Array(key)))")
                        }
                        return true
                    }
                }
            }
            return problems.result
        }
    }

    /// Checks one record: key, checksum, and that its stored public JSON and search text are exactly what
    /// its fields give. Returns the record (a view of `value`) and its index keys, or `nil` (reported) when
    /// it is damaged.
    private func checkRecord(
        key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, in txn: S.ReadTxn, _ problems: inout ProblemList
    ) -> (RecordView, [[UInt8]])? {
        let name = key.count == 16 ? "event \(TypeID(prefix: .event, bytes: key))" : "record key \(hex(Array(key)))"
        let view: RecordView
        do { view = try RecordView(value) } catch {
            problems.report("\(name): record damaged: \(SyncEventStoreError(error))")
            return nil
        }
        guard key.elementsEqual(view.idBytes) else {
            problems.report("\(name): the record inside holds id \(view.id)")
            return nil
        }
        do {
            let event = try RecordCodec.decode(view)
            let again = RecordCodec.encode(event, lease: view.lease, searchSeq: view.searchSeq, promoted: view.isPromoted)
            if !again.elementsEqual(value) {
                let json = try again.withUnsafeBytes { try RecordView($0).json.elementsEqual(view.json) }
                problems.report("\(name): " + (json
                    ? "the stored search text or layout disagrees with its fields"
                    : "the stored JSON disagrees with its fields (\(String(decoding: view.json, as: UTF8.self)))"))
            }
        } catch {
            let note = view.isQuarantined ? " (quarantined: claimDue skips it)" : ""
            problems.report("\(name): record cannot be decoded: \(SyncEventStoreError(error))\(note)")
            return nil
        }
        return (view, IndexKey.keys(for: view))
    }

    /// Whether the record the entry `key` points at has exactly this entry (a queue head: whether it is
    /// its target's head).
    private func isOwned(_ key: UnsafeRawBufferPointer, _ kind: IndexKind, in txn: S.ReadTxn) throws -> Bool {
        let idAtEnd: Bool
        switch kind {
        case .pushRevision, .delayed, .lease, .targetQueue, .ready, .queueHead:
            guard key.count >= 17 else { return false }
            idAtEnd = true
        default:
            guard key.count >= 1 + IndexKey.orderSuffixLength else { return false }
            idAtEnd = false
        }
        let id = idAtEnd ? IndexKey.idAtEnd(of: key) : IndexKey.order(fromKeyEnd: key).id
        var recordTarget: [UInt8]? = nil
        let exists = try txn.withValue(.events, id.bytes) { value -> Bool in
            guard let view = try? RecordView(value) else { return false }
            recordTarget = view.targetBytes.map { Array($0) }
            return true
        } ?? false
        guard exists else { return false }
        if kind == .ready || kind == .queueHead, let t = recordTarget {
            guard let head = try expectedHead(of: t, in: txn) else { return false }
            let expected = kind == .ready ? [kind.rawValue] + head : IndexKey.prefix(.queueHead, t) + head
            return key.elementsEqual(expected)
        }
        return try txn.withValue(.events, id.bytes) { value in
            guard let view = try? RecordView(value) else { return false }
            return IndexKey.keys(for: view).contains { $0.elementsEqual(key) }
        } ?? false
    }

    /// The claim order (`startedAt ↑ ‖ id`) of the queue head a target should have: its oldest ready
    /// event, when no event of the target is `running` (what `refreshQueueHead` keeps).
    private func expectedHead(of target: [UInt8], in txn: S.ReadTxn) throws -> [UInt8]? {
        if try txn.hasKey(withPrefix: IndexKey.prefix(.targetStatus, target, [EventStatus.running.code])) { return nil }
        let prefix = IndexKey.prefix(.targetQueue, target)
        var head: [UInt8]?
        try txn.forEachKey(withPrefix: prefix) { key in
            head = Array(UnsafeRawBufferPointer(rebasing: key[prefix.count...]))
            return false
        }
        return head
    }

    /// Queue heads are not derived from one record: for every target with ready events (its
    /// `targetQueue` entries, themselves checked against the records), the head it should have must be
    /// in `queueHead` and `ready`. Streams the per-target entries; memory stays constant.
    private func checkQueueHeads(in txn: S.ReadTxn, found: inout [Int], _ problems: inout ProblemList) throws {
        var targets: [[UInt8]] = []
        var last: [UInt8]? = nil
        try txn.forEachKey(withPrefix: [IndexKind.perTarget.rawValue]) { key in
            guard key.count == 1 + 16 + 1 + 24, key[17] == IndexKind.targetQueue.rawValue else { return true }
            let t = Array(UnsafeRawBufferPointer(rebasing: key[1..<17]))
            if t != last {
                targets.append(t)
                last = t
            }
            if targets.count >= 4096 {
                try checkHeads(targets, in: txn, found: &found, &problems)
                targets.removeAll(keepingCapacity: true)
            }
            return true
        }
        try checkHeads(targets, in: txn, found: &found, &problems)
    }

    private func checkHeads(
        _ targets: [[UInt8]], in txn: S.ReadTxn, found: inout [Int], _ problems: inout ProblemList
    ) throws {
        for t in targets {
            guard let head = try expectedHead(of: t, in: txn) else { continue }
            let id = head.withUnsafeBytes { IndexKey.idAtEnd(of: $0) }
            for key in [IndexKey.prefix(.queueHead, t) + head, [IndexKind.ready.rawValue] + head] {
                let kind = IndexKey.kind(of: key)
                if try txn.withValue(.indexes, key, { _ in true }) == true {
                    found[Int(kind)] += 1
                } else {
                    problems.report("event \(id): missing \(IndexKind(rawValue: kind)!.name) index entry \(hex(key))")
                }
            }
        }
    }
}

/// Lower-case hex of `bytes`.
func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}
