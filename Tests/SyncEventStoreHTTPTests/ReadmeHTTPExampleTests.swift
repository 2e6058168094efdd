import Foundation
import Hummingbird
import HummingbirdTesting
import SyncEventStore
import SyncEventStoreHTTP
import SyncEventStoreHummingbird
import Testing

/// The README's HTTP example, verbatim but for the store's path and the last line.
@Suite struct ReadmeHTTPExampleTests {
    @Test func theReadmeExampleRuns() async throws {
        let dir = TemporaryDirectory()
        let store = try SyncEventStore.open(at: dir.sub("store"))
        defer { store.close() }
        let org = try TypeID(parsing: "org_01h2xcejqtf2nbrexx3vqjhp41", expectingPrefix: .organization)
        let instance = try TypeID(parsing: "cin_01h2xcejqtf2nbrexx3vqjhp41", expectingPrefix: .connectorInstance)

        // Any server: one call per request.
        let endpoint = SyncEventsEndpoint(store: store)
        let answer = await endpoint.respond(
            method: "GET", path: "/v1/connector-sync-events", query: "status=failed&limit=5",
            caller: .admin(organization: org))
        print(answer.status, answer.bodyText)  // 200 {"items":[],"nextCursor":null}

        // Hummingbird 2: mount the routes; a nil caller gets 401 before any parameter is read.
        let router = Router()
        router.add(middleware: JSONErrorMiddleware())
        SyncEventsRoutes<BasicRequestContext>(endpoint: endpoint) { request, _ in
            guard request.headers[.authorization] == "Bearer s3cret" else { return nil }
            return .member(organization: org, grants: [instance: .editor])  // viewer < editor < manager
        }.mount(on: router.group("v1"))
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 8080)))

        #expect(answer.status == 200)
        #expect(answer.bodyText == #"{"items":[],"nextCursor":null}"#)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/connector-sync-events", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(
                uri: "/v1/connector-sync-events", method: .get, headers: [.authorization: "Bearer s3cret"]
            ) { #expect($0.status == .ok) }
        }
    }
}
