/// What a store holds: event counts by organization, status and event type, and the space its tables
/// and indexes take. Made by ``SyncEventStore/statistics()`` from one consistent snapshot.
public struct StoreStatistics: Sendable, Equatable {
    /// The events of one organization.
    public struct Organization: Sendable, Equatable {
        /// The organization id.
        public var id: TypeID
        /// Its events.
        public var events: Int
        /// Its events per status (statuses without events are absent).
        public var byStatus: [EventStatus: Int]
        /// Its events per event type (types without events are absent).
        public var byEventType: [EventType: Int]

        /// An organization's counts.
        package init(id: TypeID, events: Int, byStatus: [EventStatus: Int], byEventType: [EventType: Int]) {
            self.id = id
            self.events = events
            self.byStatus = byStatus
            self.byEventType = byEventType
        }
    }

    /// One table of the store.
    public struct TableUsage: Sendable, Equatable {
        /// The table name: `events`, `indexes`, `search` or `meta`.
        public var name: String
        /// Its entries.
        public var entries: Int
        /// The bytes its pages take (LMDB), or its keys and values (in memory).
        public var bytes: Int

        /// A table's usage.
        package init(name: String, entries: Int, bytes: Int) {
            self.name = name
            self.entries = entries
            self.bytes = bytes
        }
    }

    /// One kind of secondary index entry (all kinds share the `indexes` table).
    public struct IndexUsage: Sendable, Equatable {
        /// The index name, e.g. `organization` or `connectorInstance+status`.
        public var name: String
        /// Its entries.
        public var entries: Int
        /// The bytes of its keys and values, without page overhead.
        public var bytes: Int

        /// An index's usage.
        package init(name: String, entries: Int, bytes: Int) {
            self.name = name
            self.entries = entries
            self.bytes = bytes
        }
    }

    /// All events.
    public var events: Int
    /// Events per status.
    public var byStatus: [EventStatus: Int]
    /// Events per event type.
    public var byEventType: [EventType: Int]
    /// Per organization, in id order.
    public var organizations: [Organization]
    /// Bytes the whole store occupies (the data file for LMDB).
    public var sizeInBytes: Int
    /// Per table, in the order events, indexes, search, meta.
    public var tables: [TableUsage]
    /// Per index kind, in the order of their key byte; kinds without entries are listed with 0.
    public var indexes: [IndexUsage]

    /// Statistics from their parts.
    package init(events: Int, byStatus: [EventStatus: Int], byEventType: [EventType: Int], organizations: [Organization],
                 sizeInBytes: Int, tables: [TableUsage], indexes: [IndexUsage]) {
        self.events = events
        self.byStatus = byStatus
        self.byEventType = byEventType
        self.organizations = organizations
        self.sizeInBytes = sizeInBytes
        self.tables = tables
        self.indexes = indexes
    }
}

extension SyncEventStore {
    /// Counts the store's events by organization, status and event type, and measures its tables and
    /// indexes. Reads every record and every index entry: seconds for millions of events.
    ///
    /// ```swift
    /// let stats = try store.statistics()
    /// print(stats.events, stats.byStatus[.failed] ?? 0, stats.sizeInBytes)
    /// ```
    public func statistics() throws(SyncEventStoreError) -> StoreStatistics {
        try mapErrors {
            switch backend {
            case .lmdb(let e): return try e.statistics()
            case .memory(let e): return try e.statistics()
            }
        }
    }
}

extension Engine {
    func statistics() throws -> StoreStatistics {
        var stats = try storage.read { txn -> StoreStatistics in
            var byStatus = [Int](repeating: 0, count: 256)  // by stored code
            var byType = [Int](repeating: 0, count: 256)
            var perOrg: [TypeID: StoreStatistics.Organization] = [:]
            var events = 0
            var cursor = try txn.makeCursor(.events)
            if try cursor.first() {
                repeat {
                    try cursor.withCurrent { _, value in
                        let r = try RecordView(value)
                        events += 1
                        byStatus[Int(r.statusCode)] += 1
                        byType[Int(r.eventTypeCode)] += 1
                        let org = r.organizationId
                        perOrg[org, default: .init(id: org, events: 0, byStatus: [:], byEventType: [:])].events += 1
                        perOrg[org]!.byStatus[r.status, default: 0] += 1
                        perOrg[org]!.byEventType[r.eventType, default: 0] += 1
                    }
                } while try cursor.next()
            }
            var indexEntries = [Int](repeating: 0, count: 256)
            var indexBytes = [Int](repeating: 0, count: 256)
            var indexCursor = try txn.makeCursor(.indexes)
            if try indexCursor.first() {
                repeat {
                    try indexCursor.withCurrent { key, value in
                        let kind = Int(IndexKey.kind(of: key))
                        indexEntries[kind] += 1
                        indexBytes[kind] += key.count + value.count
                    }
                } while try indexCursor.next()
            }
            // `perTarget` is a key byte, not a kind: listed only when it holds entries of no per-target kind.
            var indexes = IndexKind.allCases.filter { $0 != .perTarget || indexEntries[Int($0.rawValue)] > 0 }.map {
                StoreStatistics.IndexUsage(
                    name: $0.name, entries: indexEntries[Int($0.rawValue)], bytes: indexBytes[Int($0.rawValue)])
            }
            let known = Set(IndexKind.allCases.map { Int($0.rawValue) })
            for kind in 0..<256 where indexEntries[kind] > 0 && !known.contains(kind) {
                indexes.append(.init(name: "unknown(\(kind))", entries: indexEntries[kind], bytes: indexBytes[kind]))
            }
            let tables = try Table.allCases.map { StoreStatistics.TableUsage(name: $0.name, entries: try txn.entryCount($0), bytes: 0) }
            return StoreStatistics(
                events: events,
                byStatus: Dictionary(uniqueKeysWithValues: EventStatus.allCases.compactMap {
                    byStatus[Int($0.code)] > 0 ? ($0, byStatus[Int($0.code)]) : nil
                }),
                byEventType: Dictionary(uniqueKeysWithValues: EventType.allCases.compactMap {
                    byType[Int($0.code)] > 0 ? ($0, byType[Int($0.code)]) : nil
                }),
                organizations: perOrg.values.sorted { $0.id < $1.id },
                sizeInBytes: 0, tables: tables, indexes: indexes)
        }
        stats.sizeInBytes = try storage.sizeInBytes()
        for i in stats.tables.indices {
            stats.tables[i].bytes = try storage.sizeInBytes(of: Table.allCases[i])
        }
        return stats
    }
}
