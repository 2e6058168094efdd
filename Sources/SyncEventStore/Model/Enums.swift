/// The kind of connector that produced an event. GitHub is the only one today.
public enum ConnectorType: String, Sendable, CaseIterable, Codable {
    /// A GitHub App connector.
    case github

    /// The one-byte code used in keys and records.
    var code: UInt8 { 0 }
    init?(code: UInt8) {
        guard code == 0 else { return nil }
        self = .github
    }
}

/// What caused a sync: the webhook or action behind an event.
public enum EventType: String, Sendable, CaseIterable, Codable {
    /// A push webhook for a branch of the target repository.
    case push
    /// An installation webhook.
    case installation
    /// An installation_repositories webhook.
    case installationRepositories = "installation_repositories"
    /// A repository webhook.
    case repository
    /// A resync a user asked for.
    case manualResync = "manual_resync"

    /// The one-byte code used in keys and records (the declaration order).
    var code: UInt8 { UInt8(EventType.allCases.firstIndex(of: self)!) }
    init?(code: UInt8) {
        guard Int(code) < EventType.allCases.count else { return nil }
        self = EventType.allCases[Int(code)]
    }
}

/// Where an event stands in its lifecycle.
public enum EventStatus: String, Sendable, CaseIterable, Codable {
    /// Recorded, not yet queued.
    case pending
    /// Waiting for a worker (possibly until `nextAttemptAt`).
    case queued
    /// Claimed by a worker.
    case running
    /// Finished successfully.
    case completed
    /// Finished with a permanent failure.
    case failed
    /// Finished with some items failed.
    case partial
    /// Finished without doing anything.
    case ignored

    /// The one-byte code used in keys and records (the declaration order).
    var code: UInt8 { UInt8(EventStatus.allCases.firstIndex(of: self)!) }
    init?(code: UInt8) {
        guard Int(code) < EventStatus.allCases.count else { return nil }
        self = EventStatus.allCases[Int(code)]
    }
}
