/// The one error type of the store's public API. Each case says what a caller can do about it.
public enum SyncEventStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A record broke a rule; nothing was written. Fix the record and try again.
    case invalidRecord(RecordValidationError)
    /// A record with this id already exists; nothing was written.
    case duplicateID(TypeID)
    /// No event has this id (in the caller's organization, where one applies).
    case notFound(TypeID)
    /// The event exists but is not in a state that allows the operation; nothing changed.
    case invalidTransition(id: TypeID, status: EventStatus, operation: String)
    /// The claim no longer holds the event: its lease was reclaimed, the event was retried, claimed
    /// again, finished or deleted. Nothing changed; stop working on the event (another worker may own it).
    case leaseLost(id: TypeID)
    /// The store reached its configured maximum size; raise `maximumMapSize` or prune.
    case storageFull(limitBytes: Int)
    /// The store's files are damaged or of an unknown format; restore a backup.
    case corrupted(String)
    /// The operating system or LMDB failed; the message says how.
    case io(code: Int32, message: String)
    /// The path is already open in this process; share the open store instead of opening it twice.
    case alreadyOpen(path: String)
    /// The store was closed.
    case closed
    /// A request or argument was invalid; the message says which and why.
    case invalidArgument(String)
    /// A list request was invalid: the body of the endpoint's 400 answer.
    case invalidRequest(InvalidRequestError)
    /// The database server (PostgreSQL backend) cannot be reached or did not answer in time; the message
    /// says which server and why. Nothing was written; try again when it is back.
    case unavailable(String)
    /// The database holds a schema of a newer version of the library than this one; upgrade the library
    /// (nothing was changed).
    case incompatibleSchema(found: Int, supported: Int)

    /// A message a user can act on.
    public var description: String {
        switch self {
        case .invalidRecord(let e): return "invalid record: \(e)"
        case .duplicateID(let id): return "an event with id \(id) already exists"
        case .notFound(let id): return "no event with id \(id)"
        case .invalidTransition(let id, let status, let op):
            return "cannot \(op) event \(id): it is \(status.rawValue)"
        case .leaseLost(let id):
            return "the claim on event \(id) was lost (its lease was reclaimed or the event retried); stop working on it"
        case .storageFull(let limit):
            return "the store reached its maximum size of \(limit) bytes; raise maximumMapSize or prune old events"
        case .corrupted(let m): return "the store is corrupted: \(m); restore it from a backup"
        case .io(let code, let m): return "I/O error \(code): \(m)"
        case .alreadyOpen(let p): return "\(p) is already open in this process; reuse the open store"
        case .closed: return "the store is closed"
        case .invalidArgument(let m): return m
        case .invalidRequest(let e): return "invalid request: \(e.message)"
        case .unavailable(let m): return "the database is unavailable: \(m)"
        case .incompatibleSchema(let found, let supported):
            return "the database schema is version \(found), newer than this library supports (\(supported)); upgrade the library"
        }
    }

    /// The store's error for any error a backend met: store errors pass through, others are classified.
    package init(_ error: any Error) {
        switch error {
        case let e as SyncEventStoreError: self = e
        case let e as RecordValidationError: self = .invalidRecord(e)
        case let e as InvalidRequestError: self = .invalidRequest(e)
        case let e as StorageError:
            switch e {
            case .mapFull: self = .storageFull(limitBytes: -1)
            case .storageFull(let limit): self = .storageFull(limitBytes: limit)
            case .corrupted(let m): self = .corrupted(m)
            case .io(let code, let m): self = .io(code: code, message: m)
            case .alreadyOpen(let p): self = .alreadyOpen(path: p)
            case .closed: self = .closed
            case .keyTooLong(let n): self = .invalidArgument("a key of \(n) bytes is longer than the store allows")
            }
        case let e as JSONParseError: self = .corrupted(e.description)
        default: self = .io(code: -1, message: String(describing: error))
        }
    }
}

/// Runs `body`, turning any error into a ``SyncEventStoreError``.
@inline(__always)
func mapErrors<R>(_ body: () throws -> R) throws(SyncEventStoreError) -> R {
    do { return try body() } catch { throw SyncEventStoreError(error) }
}
