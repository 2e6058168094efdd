/// Recomputes the index entries of every record and compares them with the `indexes` table both ways.
extension Engine {
    /// Checks that the `indexes` table holds exactly the entries `IndexKey.keys(for:)` gives for the stored
    /// records: none missing, none stray. One read transaction; one pass over the records per index kind,
    /// so memory stays at one kind's keys.
    ///
    /// - Parameter maximumProblems: stop listing after this many problems (the last line says how many
    ///   more of that kind were found).
    /// - Returns: human-readable problems, empty when the indexes are consistent.
    func verifyIndexes(maximumProblems: Int = 100) throws -> [String] {
        try storage.read { txn in
            var problems: [String] = []
            var overflow = 0
            func report(_ p: String) {
                if problems.count < maximumProblems { problems.append(p) } else { overflow += 1 }
            }
            func describe(_ key: [UInt8]) -> String {
                let hex = key.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
                return hex.joined()
            }
            for kind in IndexKind.allCases {
                var expected: [[UInt8]] = []
                var owner: [[UInt8]: TypeID] = [:]
                // For the claim queue's heads: per target, whether it runs and its oldest ready event.
                var running = Set<[UInt8]>()
                var oldest: [[UInt8]: (order: [UInt8], id: TypeID)] = [:]
                let heads = kind == .ready || kind == .queueHead
                var records = try txn.makeCursor(.events)
                if try records.first() {
                    repeat {
                        try records.withCurrent { key, value in
                            guard let view = try? RecordView(value) else {
                                if kind == IndexKind.allCases.first {
                                    report("event \(TypeID(prefix: .event, bytes: key)): record cannot be decoded")
                                }
                                return
                            }
                            if kind == IndexKind.allCases.first {
                                do { _ = try RecordCodec.decode(value) } catch {
                                    let note = view.isQuarantined ? " (quarantined: claimDue skips it)" : ""
                                    report("event \(view.id): record cannot be decoded: \(error)\(note)")
                                }
                            }
                            for k in IndexKey.keys(for: view) where k.first == kind.rawValue {
                                expected.append(k)
                                owner[k] = view.id
                            }
                            if heads, let t = view.targetBytes.map({ Array($0) }) {
                                if view.status == .running { running.insert(t) }
                                if view.isReady {
                                    let order = IndexKey.claimOrder(startedAt: view.startedAt.millisecondsSince1970, id: view.idBytes)
                                    if let o = oldest[t], !order.lexicographicallyPrecedes(o.order) { return }
                                    oldest[t] = (order, view.id)
                                }
                            }
                        }
                    } while try records.next()
                }
                if heads {
                    for (t, head) in oldest where !running.contains(t) {
                        let k = kind == .ready ? [kind.rawValue] + head.order : [kind.rawValue] + t + head.order
                        expected.append(k)
                        owner[k] = head.id
                    }
                }
                expected.sort { $0.lexicographicallyPrecedes($1) }
                var actual: [[UInt8]] = []
                try txn.forEachKey(withPrefix: [kind.rawValue]) { key in
                    actual.append(Array(key))
                    return true
                }
                var i = 0
                var j = 0
                while i < expected.count || j < actual.count {
                    if j == actual.count || (i < expected.count && expected[i].lexicographicallyPrecedes(actual[j])) {
                        report("event \(owner[expected[i]]!): missing \(kind.name) index entry \(describe(expected[i]))")
                        i += 1
                    } else if i == expected.count || actual[j].lexicographicallyPrecedes(expected[i]) {
                        report("stray \(kind.name) index entry \(describe(actual[j])) (no record has it)")
                        j += 1
                    } else {
                        i += 1
                        j += 1
                    }
                }
            }
            // Entries of no known kind: below the first kind byte or above the last.
            let known = Set(IndexKind.allCases.map(\.rawValue))
            var cursor = try txn.makeCursor(.indexes)
            var more = try cursor.first()
            while more {
                let key = try cursor.key
                guard let first = key.first else {
                    report("empty index key")
                    more = try cursor.next()
                    continue
                }
                if known.contains(first) {
                    more = first < 255 ? try cursor.seek(atOrAfter: [first + 1]) : false  // skip the known kind
                } else {
                    report("index entry of unknown kind \(first): \(describe(key))")
                    more = try cursor.next()
                }
            }
            if overflow > 0 { problems.append("… and \(overflow) more problems") }
            return problems
        }
    }
}
