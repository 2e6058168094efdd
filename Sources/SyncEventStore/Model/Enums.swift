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

    /// The one-byte code stored in keys and records. Fixed forever: a new case takes a new code, and
    /// reordering the cases changes nothing on disk (a test pins every code).
    var code: UInt8 {
        switch self {
        case .push: return 0
        case .installation: return 1
        case .installationRepositories: return 2
        case .repository: return 3
        case .manualResync: return 4
        }
    }
    init?(code: UInt8) {
        switch code {
        case 0: self = .push
        case 1: self = .installation
        case 2: self = .installationRepositories
        case 3: self = .repository
        case 4: self = .manualResync
        default: return nil
        }
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

    /// The one-byte code stored in keys and records. Fixed forever: a new case takes a new code, and
    /// reordering the cases changes nothing on disk (a test pins every code).
    var code: UInt8 {
        switch self {
        case .pending: return 0
        case .queued: return 1
        case .running: return 2
        case .completed: return 3
        case .failed: return 4
        case .partial: return 5
        case .ignored: return 6
        }
    }
    init?(code: UInt8) {
        switch code {
        case 0: self = .pending
        case 1: self = .queued
        case 2: self = .running
        case 3: self = .completed
        case 4: self = .failed
        case 5: self = .partial
        case 6: self = .ignored
        default: return nil
        }
    }
}
