import Foundation
import PostgresNIO
import SyncEventStore

/// The store's tables, created and migrated on open, one version at a time.
///
/// Every table and every list index leads with `organization_id`, so that on Citus the tables are
/// distributed by organization and each list, detail and write query of one organization runs on one
/// shard. The two queue indexes (claim order, lease expiry) are global by nature: `claimDue` and
/// `reclaimExpired` serve every organization (on Citus each shard holds its part of them).
enum PostgresSchema {
    /// The schema version this library writes and reads.
    static let currentVersion = 1
    /// A constant advisory-lock key that serializes schema changes of concurrent openers.
    static let migrationLock: Int64 = 0x5345_535F_4D49_4752  // "SES_MIGR"

    /// The DDL of each version, applied in order from the database's version to ``currentVersion``.
    static func migrations(_ t: PostgresSyncEventStore.Tables, schema: String) -> [[String]] {
        [
            // Version 1.
            [[
                "CREATE TABLE \(t.events) (",
                "organization_id uuid NOT NULL, id uuid NOT NULL, connector_instance_id uuid NOT NULL,",
                "connector_target_id uuid, event_type text NOT NULL, status text NOT NULL,",
                "source_revision_ref text COLLATE \"C\", started_at bigint NOT NULL, next_attempt_at bigint,",
                "lease_expires_at bigint, lease_token bigint, search_lower text COLLATE \"C\" NOT NULL,",
                "item bytea NOT NULL, line bytea NOT NULL, PRIMARY KEY (organization_id, id))",
            ].joined(separator: " ")
            ] + [
                    // The id → organization map: global id uniqueness, and look-ups by id alone.
                    "CREATE TABLE \(t.ids) (id uuid PRIMARY KEY, organization_id uuid NOT NULL)",
                    // The target → organization map, and the row a claimer locks to take a target's head.
                    "CREATE TABLE \(t.targets) (connector_target_id uuid NOT NULL, organization_id uuid NOT NULL, PRIMARY KEY (connector_target_id, organization_id))",
                    "CREATE INDEX ON \(t.events) (organization_id, started_at DESC, id DESC)",
                    "CREATE INDEX ON \(t.events) (organization_id, status, started_at DESC, id DESC)",
                    "CREATE INDEX ON \(t.events) (organization_id, event_type, started_at DESC, id DESC)",
                    "CREATE INDEX ON \(t.events) (organization_id, connector_instance_id, started_at DESC, id DESC)",
                    "CREATE INDEX ON \(t.events) (organization_id, connector_instance_id, status, started_at DESC, id DESC)",
                    "CREATE INDEX ON \(t.events) (organization_id, connector_target_id, status, started_at DESC, id DESC)",
                    "CREATE INDEX ON \(t.events) (organization_id, connector_target_id, source_revision_ref) WHERE event_type = 'push'",
                    "CREATE INDEX ON \(t.events) USING gin (organization_id, search_lower public.gin_trgm_ops)",
                    "CREATE INDEX ON \(t.events) (started_at, id) WHERE status = 'queued'",
                "CREATE INDEX ON \(t.events) (lease_expires_at, id) WHERE status = 'running' AND lease_expires_at IS NOT NULL",
            ]
        ]
    }

    /// Creates the schema or migrates it to ``currentVersion`` (serialized by an advisory lock), and
    /// returns the cursor secret (created once per schema).
    static func prepare(
        client: PostgresClient, tables t: PostgresSyncEventStore.Tables, schema: String, logger: Logger,
        configuration: PostgresStoreConfiguration
    ) async throws(SyncEventStoreError) -> [UInt8] {
        try await PostgresSyncEventStore.transaction(client: client, logger: logger, configuration: configuration) { conn in
            try await conn.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await conn.query("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public", logger: logger)
            try await conn.query("CREATE EXTENSION IF NOT EXISTS btree_gin SCHEMA public", logger: logger)
            try await conn.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
            try await conn.query(
                PostgresQuery(unsafeSQL: "CREATE TABLE IF NOT EXISTS \(t.meta) (key text PRIMARY KEY, number bigint, bytes bytea)"),
                logger: logger)
            var version = 0
            for try await v in try await conn.query(
                "SELECT number FROM \(unescaped: t.meta) WHERE key = 'schema_version'", logger: logger
            ).decode(Int64.self) { version = Int(v) }
            if version > currentVersion {
                throw SyncEventStoreError.incompatibleSchema(found: version, supported: currentVersion)
            }
            let steps = migrations(t, schema: schema)
            for step in steps[version...] {
                for statement in step { try await conn.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
            }
            if version < currentVersion {
                try await conn.query(
                    """
                    INSERT INTO \(unescaped: t.meta) (key, number) VALUES ('schema_version', \(Int64(currentVersion)))
                    ON CONFLICT (key) DO UPDATE SET number = EXCLUDED.number
                    """, logger: logger)
            }
            var secret: [UInt8] = []
            var random = SystemRandomNumberGenerator()
            for _ in 0..<32 { secret.append(random.next()) }
            try await conn.query(
                """
                INSERT INTO \(unescaped: t.meta) (key, bytes) VALUES ('cursor_secret', \(ByteBuffer(bytes: secret)))
                ON CONFLICT (key) DO NOTHING
                """, logger: logger)
            var stored: [UInt8] = []
            for try await b in try await conn.query(
                "SELECT bytes FROM \(unescaped: t.meta) WHERE key = 'cursor_secret'", logger: logger
            ).decode(ByteBuffer.self) { stored = Array(b.readableBytesView) }
            return stored
        }
    }
}
