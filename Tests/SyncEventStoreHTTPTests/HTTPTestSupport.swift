import Foundation
import Hummingbird
import HummingbirdTesting
import SyncEventStore
import SyncEventStoreHTTP
import SyncEventStoreHummingbird
import Testing

/// A small world: two organizations, instances with and without grants, a few events.
struct World {
    static func id(_ prefix: TypeID.Prefix, _ n: UInt64) -> TypeID {
        TypeID(prefix: prefix, high: 0x0190_0000_0000_7000 | n, low: 0x8000_0000_0000_0000 | n)
    }

    let org = id(.organization, 1)
    let otherOrg = id(.organization, 2)
    let seen = id(.connectorInstance, 10)  // the member holds `viewer` on it
    let edited = id(.connectorInstance, 11)  // the member holds `editor` on it
    let hidden = id(.connectorInstance, 12)  // no grant
    let foreign = id(.connectorInstance, 13)  // of the other organization
    let target = id(.connectorTarget, 20)

    /// Events: index 0–2 on `seen`, 3–4 on `edited`, 5–6 on `hidden`, 7 of the other organization.
    var events: [SyncEvent] {
        let instances = [seen, seen, seen, edited, edited, hidden, hidden, foreign]
        return instances.enumerated().map { i, instance in
            SyncEvent(
                id: World.id(.event, UInt64(100 + i)), organizationId: instance == foreign ? otherOrg : org,
                connectorInstanceId: instance, connectorTargetId: i % 2 == 0 ? target : nil, remoteId: "acme/repo",
                eventType: i % 3 == 0 ? .manualResync : .push, externalEventRef: "Delivery-\(i)-Zoë",
                sourceRevisionRef: "abc\(i)", status: i % 2 == 0 ? .failed : .completed,
                summaryJson: ["createdCount": .number(.integer(Int64(i)))],
                startedAt: Timestamp(millisecondsSince1970: 1_767_000_000_000 + Int64(i) * 1000),
                completedAt: Timestamp(millisecondsSince1970: 1_767_000_000_500 + Int64(i) * 1000), attemptCount: 2)
        }
    }

    /// The callers, by token: `admin`, `member` (viewer on `seen`, editor on `edited`, a grant on an
    /// instance of the other organization), `manager`, `nobody` (a member without grants), `outsider`.
    var callers: [String: Caller] {
        [
            "admin": .admin(organization: org),
            "member": .member(organization: org, grants: [seen: .viewer, edited: .editor, foreign: .manager]),
            "manager": .member(organization: org, grants: [hidden: .manager]),
            "nobody": .member(organization: org, grants: [:]),
            "outsider": .admin(organization: otherOrg),
        ]
    }

    /// A store in memory holding ``events``.
    func store() throws -> SyncEventStore {
        let store = SyncEventStore.inMemory()
        try store.record(contentsOf: events)
        return store
    }

    /// The Hummingbird application of the tests: the routes under `/v1`, the JSON error middleware, and
    /// `Authorization: Bearer <name of a caller>`.
    func application(_ store: SyncEventStore) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: JSONErrorMiddleware())
        let callers = self.callers
        SyncEventsRoutes<BasicRequestContext>(store: store) { request, _ in
            guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return nil }
            return callers[String(header.dropFirst(7))]
        }.mount(on: router.group("v1"))
        return Application(router: router)
    }
}

/// Sends one request to `app` in process and returns status, headers and body.
func send(
    _ app: some ApplicationProtocol, _ uri: String, method: HTTPRequest.Method = .get, as token: String? = nil
) async throws -> (status: Int, contentType: String?, allow: String?, body: String) {
    try await app.test(.router) { client in
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: uri, method: method, headers: headers) { response in
            (
                response.status.code, response.headers[.contentType], response.headers[.allow],
                String(buffer: response.body)
            )
        }
    }
}

/// The JSON of a body, parsed with Foundation.
func json(_ body: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
}

/// A fresh temporary directory per test, removed when released.
final class TemporaryDirectory: Sendable {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "ses-http-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func sub(_ name: String) -> String { path + "/" + name }
}
