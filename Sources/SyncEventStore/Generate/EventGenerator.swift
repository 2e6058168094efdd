/// Realistic, reproducible synthetic sync events: the data behind `syncevents generate`, the demo and
/// the benchmarks.
///
/// The same configuration (seed included) always yields the same events in the same order.
///
/// ```swift
/// let events = EventGenerator(EventGenerator.Configuration(events: 10_000, seed: 7))
/// try store.record(contentsOf: events)
/// ```
///
/// What the events look like:
/// - organizations own connector instances, instances own targets (repositories); a few targets
///   receive most of the traffic;
/// - about 70% `push` events with a GitHub-style delivery id (a GUID) as `externalEventRef` and a
///   40-hex commit SHA as `sourceRevisionRef`; `installation` and `installation_repositories` events
///   have no target, no remote id and no revision; `repository` events have a target but no revision;
///   `manual_resync` events name who asked, some in mixed case or with non-ASCII letters;
/// - statuses mostly `completed`, then `ignored`, `failed`, `partial`, `queued`, `pending`, `running`,
///   with `completedAt` ≥ `startedAt` for finished events, `attemptCount` and `nextAttemptAt` for
///   retried ones, and summaries with counts and failures;
/// - `startedAt` spread over the 90 days before ``Configuration/endingAt``, with about one event in
///   five sharing its millisecond with an earlier one (webhook bursts);
/// - ids are unique UUIDv7 TypeIDs whose time is the event's `startedAt`.
public struct EventGenerator: Sequence, IteratorProtocol, Sendable {
    /// What to generate.
    public struct Configuration: Sendable, Equatable {
        /// How many events.
        public var events: Int
        /// How many organizations (at least 1).
        public var organizations: Int
        /// How many connector instances in all, spread over the organizations (at least one each).
        public var instances: Int
        /// How many connector targets in all (0 or more), spread over the instances in turn: with fewer
        /// targets than instances, the last instances have none and their events no target.
        public var targets: Int
        /// The seed: equal seeds give equal output.
        public var seed: UInt64
        /// The end of the 90-day window the `startedAt` values fall in. A fixed instant by default
        /// (2026-12-01T00:00:00.000Z), so that output depends on the seed only.
        public var endingAt: Timestamp

        /// The default end of the time window: 2026-12-01T00:00:00.000Z.
        public static let defaultEndingAt = Timestamp(millisecondsSince1970: 1_796_083_200_000)

        /// Creates a configuration; counts below their minimum are raised to it.
        public init(
            events: Int, organizations: Int = 5, instances: Int = 40, targets: Int = 400, seed: UInt64 = 1,
            endingAt: Timestamp = Configuration.defaultEndingAt
        ) {
            self.events = Swift.max(0, events)
            self.organizations = Swift.max(1, organizations)
            self.instances = Swift.max(self.organizations, instances)
            self.targets = Swift.max(0, targets)
            self.seed = seed
            self.endingAt = endingAt
        }
    }

    /// One connector target: its id, the instance and organization it belongs to, its repository name.
    struct Target: Sendable {
        var id: TypeID
        var instance: Int
        var remoteId: String
    }

    /// The configuration in use.
    public let configuration: Configuration
    /// The organization ids, in order.
    public let organizations: [TypeID]
    /// The connector instance ids, in order, and the index of the organization of each.
    public let instances: [(id: TypeID, organization: Int)]
    let targets: [Target]
    /// The targets of each instance (indexes into `targets`).
    let targetsOfInstance: [[Int]]

    // Instance copies of the text pools: a static `let` costs a `swift_once` call on every access.
    private let people = EventGenerator.people
    private let errors = EventGenerator.errors
    private let ignoreReasons = EventGenerator.ignoreReasons
    private let paths = EventGenerator.paths

    private var random: SeededRandomSource
    private var produced = 0
    private var recentStarts: [Int64] = []

    /// Creates a generator for `configuration`.
    public init(_ configuration: Configuration) {
        self.configuration = configuration
        var random = SeededRandomSource(seed: configuration.seed)
        func id(_ prefix: TypeID.Prefix) -> TypeID {
            TypeID(prefix: prefix, high: random.next(), low: random.next())
        }
        organizations = (0..<configuration.organizations).map { _ in id(.organization) }
        instances = (0..<configuration.instances).map { i in (id(.connectorInstance), i % configuration.organizations) }
        var targets: [Target] = []
        var targetsOfInstance = [[Int]](repeating: [], count: configuration.instances)
        for t in 0..<configuration.targets {
            let instance = t % configuration.instances
            let owner = EventGenerator.owners[Int(random.next() % UInt64(EventGenerator.owners.count))]
            let repo = EventGenerator.repositories[Int(random.next() % UInt64(EventGenerator.repositories.count))]
            let remoteId = "\(owner)/\(repo)" + (t >= EventGenerator.repositories.count ? "-\(t)" : "")
            targetsOfInstance[instance].append(targets.count)
            targets.append(Target(id: id(.connectorTarget), instance: instance, remoteId: remoteId))
        }
        self.targets = targets
        self.targetsOfInstance = targetsOfInstance
        self.random = random
    }

    /// Creates a generator of `events` events with the default shape.
    public init(events: Int, seed: UInt64 = 1) {
        self.init(Configuration(events: events, seed: seed))
    }

    /// The next event, or `nil` after ``Configuration/events`` events.
    public mutating func next() -> SyncEvent? {
        guard produced < configuration.events else { return nil }
        defer { produced += 1 }
        return makeEvent(number: produced)
    }

    /// The number of events still to come.
    public var underestimatedCount: Int { configuration.events - produced }

    /// Writes the remaining events as NDJSON lines (``SyncEvent/ndjsonLine`` and `\n`), calling `flush`
    /// with the buffered bytes whenever about `bufferSize` bytes are ready, and once at the end.
    public mutating func writeNDJSON(bufferSize: Int = 1 << 20, flush: ([UInt8]) throws -> Void) rethrows {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(bufferSize + 4096)
        while let event = next() {
            event.writeJSON(to: &buffer, includingOrganization: true)
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= bufferSize {
                try flush(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { try flush(buffer) }
    }

    // MARK: - One event

    private mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
    private mutating func uniform(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
    private mutating func between(_ low: Int64, _ high: Int64) -> Int64 { low + Int64(random.next() % UInt64(high - low + 1)) }

    /// An index below `count`, skewed so that a few indexes get most events.
    private mutating func skewed(_ count: Int) -> Int {
        let u = Double(random.next() >> 11) / Double(1 << 53)
        return Swift.min(count - 1, Int(u * u * u * Double(count)))
    }

    /// The instance and target of the next event: a skewed target (and its instance) when every instance
    /// has one; otherwise a skewed instance and its target, if it has one.
    private mutating func instanceAndTarget() -> (instance: Int, target: Target?) {
        if targets.count >= instances.count {
            let target = targets[skewed(targets.count)]
            return (target.instance, target)
        }
        let instance = skewed(instances.count)
        return (instance, targetsOfInstance[instance].first.map { targets[$0] })
    }

    private mutating func startedAt() -> Int64 {
        if !recentStarts.isEmpty, chance(20) {
            return recentStarts[uniform(recentStarts.count)]
        }
        let window: Int64 = 90 * 86_400_000
        let t = configuration.endingAt.millisecondsSince1970 - 1 - Int64(random.next() % UInt64(window))
        if recentStarts.count < 8 { recentStarts.append(t) } else { recentStarts[uniform(8)] = t }
        return t
    }

    private func eventID(startedAt: Int64, number: Int, bits: UInt64) -> TypeID {
        // A UUIDv7 of `startedAt`. The low 32 bits are the event's number under a bijection of 32-bit
        // values (an odd multiplier, then an xor), so ids never collide yet look random.
        let ms = UInt64(Swift.max(0, startedAt)) & 0xFFFF_FFFF_FFFF
        let high = (ms << 16) | 0x7000 | (bits & 0x0FFF)
        let mixed = (UInt32(truncatingIfNeeded: number) &* 0x9E37_79B1) ^ UInt32(truncatingIfNeeded: configuration.seed)
        let low = 0x8000_0000_0000_0000 | ((bits >> 12) & 0x3FFF_FFFF) << 32 | UInt64(mixed)
        return TypeID(prefix: .event, high: high, low: low)
    }

    private mutating func eventType() -> EventType {
        switch uniform(100) {
        case 0..<70: return .push
        case 70..<80: return .manualResync
        case 80..<87: return .repository
        case 87..<94: return .installationRepositories
        default: return .installation
        }
    }

    private mutating func status() -> EventStatus {
        switch uniform(100) {
        case 0..<68: return .completed
        case 68..<76: return .ignored
        case 76..<82: return .failed
        case 82..<87: return .partial
        case 87..<93: return .queued
        case 93..<97: return .pending
        default: return .running
        }
    }

    private mutating func makeEvent(number: Int) -> SyncEvent {
        let started = startedAt()
        let (instanceIndex, drawn) = instanceAndTarget()
        // Events without a target still belong to the instance drawn.
        let instance = instances[instanceIndex]
        var type = eventType()
        // An instance without targets has installation events and whole-instance resyncs only.
        if drawn == nil, type == .push || type == .repository { type = .installationRepositories }
        // Never read without a drawn target: such events get no target below.
        let target = drawn ?? Target(id: instance.id, instance: instanceIndex, remoteId: "")
        let status = status()
        var event = SyncEvent(
            id: eventID(startedAt: started, number: number, bits: random.next()),
            organizationId: organizations[instance.organization], connectorInstanceId: instance.id,
            eventType: type, status: status, startedAt: Timestamp(millisecondsSince1970: started))
        switch type {
        case .push:
            event.connectorTargetId = target.id
            event.remoteId = target.remoteId
            event.externalEventRef = deliveryID()
            event.sourceRevisionRef = sha()
        case .repository:
            event.connectorTargetId = target.id
            event.remoteId = target.remoteId
            event.externalEventRef = deliveryID()
        case .installation, .installationRepositories:
            event.externalEventRef = deliveryID()
        case .manualResync:
            let whole = chance(30) || drawn == nil
            if !whole {
                event.connectorTargetId = target.id
                event.remoteId = target.remoteId
            }
            let person = people[uniform(people.count)]
            event.externalEventRef = "manual-resync:\(person):\(number)"
            if !whole, chance(50) { event.sourceRevisionRef = sha() }
        }
        fillLifecycle(&event)
        return event
    }

    private mutating func fillLifecycle(_ event: inout SyncEvent) {
        let started = event.startedAt.millisecondsSince1970
        func finish(_ e: inout SyncEvent, _ d: Int64) { e.completedAt = Timestamp(millisecondsSince1970: started + d) }
        switch event.status {
        case .completed:
            finish(&event, between(150, 240_000))
            event.summaryJson = counts(failed: 0)
        case .partial:
            finish(&event, between(1_000, 600_000))
            let failed = Int(between(1, 12))
            var summary = counts(failed: failed)
            summary["failures"] = .array(failures(Swift.min(failed, 3)))
            event.summaryJson = summary
        case .failed:
            event.attemptCount = Int(between(1, 5))
            finish(&event, between(500, 900_000))
            let error = errors[uniform(errors.count)]
            event.summaryJson = [
                "error": .string(error), "lastError": .string(error), "outcome": .string("failed"),
            ]
        case .ignored:
            finish(&event, between(5, 2_000))
            event.summaryJson = chance(60) ? ["reason": .string(ignoreReasons[uniform(3)])] : nil
        case .queued:
            event.attemptCount = chance(60) ? 0 : Int(between(1, 4))
            if event.attemptCount > 0 {
                let backoff: Int64 = Swift.min(900_000, Int64(30_000) << Int64(event.attemptCount - 1))
                event.nextAttemptAt = Timestamp(millisecondsSince1970: started + backoff)
                event.summaryJson = ["lastError": .string(errors[uniform(errors.count)])]
            }
        case .running:
            event.attemptCount = chance(80) ? 0 : Int(between(1, 2))
        case .pending:
            break
        }
    }

    private mutating func counts(failed: Int) -> JSONObject {
        [
            "createdCount": .number(.integer(between(0, 40))),
            "updatedCount": .number(.integer(between(0, 200))),
            "deletedCount": .number(.integer(between(0, 10))),
            "skippedCount": .number(.integer(between(0, 25))),
            "failedCount": .number(.integer(Int64(failed))),
        ]
    }

    private mutating func failures(_ n: Int) -> [JSONValue] {
        (0..<n).map { _ in
            .object([
                "path": .string(paths[uniform(paths.count)]),
                "error": .string(errors[uniform(errors.count)]),
            ])
        }
    }

    // MARK: - Text

    @inline(__always) private static func hexDigit(_ nibble: UInt64) -> UInt8 {
        nibble < 10 ? UInt8(truncatingIfNeeded: nibble) &+ 48 : UInt8(truncatingIfNeeded: nibble) &+ 87
    }

    /// A GitHub delivery id: a GUID such as `72d3162e-cc78-11e3-81ab-4c9367dc0958`.
    private mutating func deliveryID() -> String {
        var a = random.next()
        var b = random.next()
        return String(unsafeUninitializedCapacity: 36) { buf in
            var i = 0
            for position in 0..<36 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    buf[position] = UInt8(ascii: "-")
                    continue
                }
                if i < 16 {
                    buf[position] = EventGenerator.hexDigit(a & 15)
                    a >>= 4
                } else {
                    buf[position] = EventGenerator.hexDigit(b & 15)
                    b >>= 4
                }
                i += 1
            }
            return 36
        }
    }

    /// A 40-hex commit SHA.
    private mutating func sha() -> String {
        var words = (random.next(), random.next(), random.next())
        return String(unsafeUninitializedCapacity: 40) { buf in
            for position in 0..<40 {
                let nibble: UInt64
                switch position {
                case 0..<16: nibble = words.0 & 15; words.0 >>= 4
                case 16..<32: nibble = words.1 & 15; words.1 >>= 4
                default: nibble = words.2 & 15; words.2 >>= 4
                }
                buf[position] = EventGenerator.hexDigit(nibble)
            }
            return 40
        }
    }

    static let owners = [
        "acme", "Acme-Labs", "globex", "initech", "umbrella-corp", "hooli", "piedpiper", "Stark-Industries",
        "wayne-enterprises", "café-société", "zoë-tools", "北京-dev",
    ]
    static let repositories = [
        "api", "web", "WebApp", "infra", "docs", "billing-service", "auth", "mobile-ios", "mobile-android",
        "data-pipeline", "ML-Models", "design-system", "cli", "terraform-modules", "monorepo", "naïve-bayes",
        "search", "notifications", "Payments", "gateway",
    ]
    static let people = [
        "alice", "Bob.Smith", "carol", "DAVE", "erin-ops", "Frank", "grace_h", "heidi", "José", "Zoë",
        "Ærøskøbing-bot", "renée", "ivan", "judy",
    ]
    static let errors = [
        "GitHub API rate limit exceeded", "Repository not found or access revoked",
        "Timed out after 300s fetching the tree", "Installation token expired", "Blob too large to index",
        "Upstream returned HTTP 502", "Checkout failed: reference is not a tree",
    ]
    static let ignoreReasons = ["branch is not tracked", "no indexable changes", "superseded by a newer push"]
    static let paths = [
        "README.md", "docs/guide.md", "src/main.swift", "assets/logo.png", "vendor/bundle.js",
        "Sources/App/Routes.swift", "docs/résumé.md",
    ]
}
