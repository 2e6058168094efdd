/// The `q` index. (Filled in with the query engine.)
enum SearchIndex {
    static func update(_ txn: some StorageWriteTransaction, old: RecordView?, new: RecordView?) throws {}
}
