extension SyncEventStore {
    /// Checks every index entry against the records and every record against the indexes, in one
    /// consistent snapshot.
    ///
    /// ```swift
    /// let problems = try store.verify()
    /// if !problems.isEmpty { print(problems.joined(separator: "\n")) }
    /// ```
    /// - Returns: one line per problem found; empty when everything agrees.
    public func verify() throws(SyncEventStoreError) -> [String] {
        try mapErrors {
            switch backend {
            case .lmdb(let e): return try e.verifyIndexes()
            case .memory(let e): return try e.verifyIndexes()
            }
        }
    }
}
