import SyncEventStore

/// The connector-sync-events endpoint without any server framework (BEHAVIOUR.md §7): give it the
/// method, the path, the raw query string and the resolved caller; it gives back status, headers and
/// body bytes.
///
/// ```swift
/// let endpoint = SyncEventsEndpoint(store: store)
/// let answer = await endpoint.respond(
///     method: "GET", path: "/v1/connector-sync-events", query: "status=failed&limit=20",
///     caller: .admin(organization: org))
/// // answer.status == 200, answer.body is the page's JSON
/// ```
///
/// Authentication is checked before any parameter: a `nil` caller always gets 401. The store is any
/// ``SyncEventStoring``: the embedded ``SyncEventStore`` (LMDB or in memory) or the PostgreSQL store of
/// the `SyncEventStorePostgres` product, with the same answers. On the embedded store reads run on the
/// calling task (a page takes microseconds) and a retry, a durable write with an `fsync`, runs on the
/// ``WriteQueue``; any other store is called through its `async` API (a networked store never blocks a
/// thread), and the queue is not used.
public struct SyncEventsEndpoint: Sendable {
    /// The path of the list, under which the detail (`/{id}`) and the retry (`/{id}/retry`) live.
    public static let collectionPath = "/v1/connector-sync-events"

    /// The store the endpoint reads and writes.
    public let store: any SyncEventStoring
    /// Where retries on the embedded ``SyncEventStore`` run (unused for other stores).
    public let writes: WriteQueue

    /// Creates the endpoint over `store`, the embedded ``SyncEventStore`` or any other
    /// ``SyncEventStoring`` such as `PostgresSyncEventStore`; retries on the embedded store run on
    /// `writes` (a new dedicated queue by default).
    public init(store: any SyncEventStoring, writes: WriteQueue = WriteQueue()) {
        self.store = store
        self.writes = writes
    }

    /// Routes one request: the list, the detail and the retry; a JSON 405 (with `allow`) for another
    /// method on their paths, and a JSON 404 for any other path.
    /// - Parameters:
    ///   - method: the request method, e.g. `GET`.
    ///   - path: the request path without the query, as received (percent escapes are decoded here).
    ///   - query: the raw query string after `?` (not decoded), `nil` or `""` when there is none.
    ///   - caller: the signed-in caller, `nil` when the request carries no valid credentials.
    public func respond(method: String, path: String, query: String?, caller: Caller?) async -> HTTPAnswer {
        guard let route = Route(path: path), method == route.method else {
            return Self.unroutable(method: method, path: path)
        }
        switch route {
        case .list: return await list(query: query, caller: caller)
        case .detail(let id): return await detail(id: id, caller: caller)
        case .retry(let id): return await retry(id: id, caller: caller)
        }
    }

    /// The answer to a request no route takes: 405 (with `allow`) when `path` is one of the endpoint's
    /// paths but `method` is not its method, 404 otherwise.
    public static func unroutable(method: String, path: String) -> HTTPAnswer {
        guard let route = Route(path: path) else { return .routeNotFound }
        return method == route.method ? .routeNotFound : .methodNotAllowed(allowed: [route.method])
    }

    /// `GET /v1/connector-sync-events?<query>`: 200 with a page, 400 `invalid_request`, or 401.
    ///
    /// The raw query string is decoded as `URLSearchParams` decodes it (repeated names kept), exactly as
    /// `syncevents list --query` does, so both give the same bytes for the same query.
    public func list(query: String?, caller: Caller?) async -> HTTPAnswer {
        guard let caller else { return .unauthorized }
        let items = URLQueryDecoding.decode(query ?? "")
        do {
            let response = try await store.listResponse(query: items, as: caller.viewer)
            return HTTPAnswer(status: response.status, body: response.body)
        } catch {
            return .internalError("\(error)")
        }
    }

    /// `GET /v1/connector-sync-events/{id}`: 200 `{"item":…}`, 400 for a malformed id, 401, 403 or 404.
    /// - Parameter id: the path segment as received (percent escapes are decoded here).
    public func detail(id: String, caller: Caller?) async -> HTTPAnswer {
        guard let caller else { return .unauthorized }
        switch Self.eventID(id) {
        case .failure(let error):
            return HTTPAnswer(status: 400, body: error.jsonBody())
        case .success(let id):
            do {
                let lookup = try await store.event(id: id, as: caller.viewer)
                return HTTPAnswer(status: lookup.httpStatus, body: lookup.responseBody)
            } catch {
                return .internalError("\(error)")
            }
        }
    }

    /// `POST /v1/connector-sync-events/{id}/retry`: 202 once the event is queued again (BEHAVIOUR.md
    /// §6), 400 for a malformed id, 401, 403 without an `editor` or `manager` role on its instance, 404.
    /// - Parameter id: the path segment as received (percent escapes are decoded here).
    public func retry(id: String, caller: Caller?) async -> HTTPAnswer {
        guard let caller else { return .unauthorized }
        let eventID: TypeID
        switch Self.eventID(id) {
        case .failure(let error): return HTTPAnswer(status: 400, body: error.jsonBody())
        case .success(let id): eventID = id
        }
        do {
            switch try await store.event(id: eventID, as: caller.viewer) {
            case .notFound:
                return HTTPAnswer(status: 404, body: EventLookup.notFoundBody)
            case .forbidden:
                return .editorAccessMissing
            case .found(let event):
                guard let role = caller.role(on: event.connectorInstanceId), role >= .editor else {
                    return .editorAccessMissing
                }
            }
            if let embedded = store as? SyncEventStore {
                _ = try await writes.run { try embedded.retry(id: eventID) }
            } else {
                _ = try await store.retry(id: eventID, now: .now)
            }
            return .retryQueued(eventID.description)
        } catch SyncEventStoreError.notFound {
            // Deleted between the look-up and the write.
            return HTTPAnswer(status: 404, body: EventLookup.notFoundBody)
        } catch {
            return .internalError("\(error)")
        }
    }

    /// Decodes and validates the `{id}` path segment; problems have the path `["connectorSyncEventId"]`.
    static func eventID(_ segment: String) -> Result<TypeID, InvalidRequestError> {
        ListQueryValidator.validateID(
            PercentDecoding.decode(segment), prefix: .event, path: "connectorSyncEventId")
    }
}

/// The three routes of the endpoint, recognised from a request path.
enum Route: Equatable {
    case list
    case detail(String)
    case retry(String)

    init?(path: String) {
        let base = SyncEventsEndpoint.collectionPath
        guard path.hasPrefix(base) else { return nil }
        let rest = path.dropFirst(base.count)
        if rest.isEmpty {
            self = .list
            return
        }
        let segments = rest.split(separator: "/", omittingEmptySubsequences: false)
        // rest starts with "/", so segments[0] is empty.
        guard segments.count >= 2, segments[0].isEmpty, !segments[1].isEmpty else { return nil }
        switch segments.count {
        case 2: self = .detail(String(segments[1]))
        case 3 where segments[2] == "retry": self = .retry(String(segments[1]))
        default: return nil
        }
    }

    /// The one method the route answers.
    var method: String {
        switch self {
        case .list, .detail: return "GET"
        case .retry: return "POST"
        }
    }
}

/// Percent-decoding of a path segment, as JavaScript's `decodeURIComponent` does for valid input;
/// an escape that is not valid UTF-8 keeps the segment as received.
enum PercentDecoding {
    static func decode(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let high = hexValue(utf8[utf8.startIndex]), let low = hexValue(utf8[utf8.startIndex + 1])
            {
                bytes.append(high << 4 | low)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
