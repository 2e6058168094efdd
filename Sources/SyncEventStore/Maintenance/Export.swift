extension SyncEventStore {
    /// Calls `body` with every event of the store, or of one organization, in id order, all read from
    /// one consistent snapshot.
    ///
    /// The order is that of the ids (and so, for generated ids, of creation time): deterministic, and
    /// the same after an export is imported into another store. `body` runs inside a read transaction:
    /// keep it short of store calls that write (they would wait for nothing, but a long-running body
    /// holds the snapshot's pages).
    ///
    /// ```swift
    /// try store.forEachEvent(organization: org) { event in
    ///     output.append(contentsOf: event.ndjsonLine)
    /// }
    /// ```
    /// - Parameters:
    ///   - organization: only this organization's events; `nil` for all.
    ///   - body: called once per event; return `false` to stop early.
    public func forEachEvent(
        organization: TypeID? = nil, _ body: (SyncEvent) -> Bool
    ) throws(SyncEventStoreError) {
        try mapErrors {
            switch backend {
            case .lmdb(let e): try e.forEachEvent(organization: organization, body)
            case .memory(let e): try e.forEachEvent(organization: organization, body)
            }
        }
    }
}

extension Engine {
    /// Walks the `events` table in key (id) order, decoding the records of `organization` (or all).
    func forEachEvent(organization: TypeID?, _ body: (SyncEvent) -> Bool) throws {
        let orgBytes = organization?.bytes
        try storage.read { txn in
            var cursor = try txn.makeCursor(.events)
            guard try cursor.first() else { return }
            repeat {
                let event: SyncEvent? = try cursor.withCurrent { _, value in
                    if let orgBytes {
                        let view = try RecordView(value)
                        guard view.organizationBytes.elementsEqual(orgBytes) else { return nil }
                    }
                    return try RecordCodec.decode(value)
                }
                if let event, !body(event) { return }
            } while try cursor.next()
        }
    }
}
