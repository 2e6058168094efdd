import Foundation
import Hummingbird
import HummingbirdTesting
import SyncEventStore
import SyncEventStoreHTTP
import SyncEventStoreHummingbird
import Testing

/// Every status and body of BEHAVIOUR.md §7, in process through the Hummingbird adapter.
@Suite struct RoutesTests {
    let world = World()
    let list = "/v1/connector-sync-events"
    func path(_ n: Int) -> String { "\(list)/\(world.events[n].id)" }

    @Test func listAnswersThePageTheStoreGives() async throws {
        let store = try world.store()
        let r = try await send(world.application(store), "\(list)?limit=2&status=failed", as: "admin")
        #expect(r.status == 200)
        #expect(r.contentType == "application/json")
        let expected = try store.listResponse(
            query: [QueryItem(name: "limit", value: "2"), QueryItem(name: "status", value: "failed")],
            as: .admin(organization: world.org))
        #expect(r.body == String(decoding: expected.body, as: UTF8.self))
        let page = try json(r.body)
        #expect((page["items"] as? [Any])?.count == 2)
        #expect(page["nextCursor"] is String)
    }

    @Test func membersSeeTheirGrantedInstancesOnly() async throws {
        let app = try world.application(world.store())
        let member = try json(try await send(app, list, as: "member").body)
        let ids = Set(((member["items"] as? [[String: Any]]) ?? []).compactMap { $0["connectorInstanceId"] as? String })
        #expect(ids == [world.seen.description, world.edited.description])
        let nobody = try await send(app, list, as: "nobody")
        #expect(nobody.status == 200)
        #expect(nobody.body == #"{"items":[],"nextCursor":null}"#)
        // A filter on an instance the member cannot see is an empty list, not an error.
        let hidden = try await send(app, "\(list)?connectorInstanceId=\(world.hidden)", as: "member")
        #expect(hidden.body == #"{"items":[],"nextCursor":null}"#)
    }

    @Test func theRawQueryReachesTheStoreUndecodedByTheFramework() async throws {
        let app = try world.application(world.store())
        // %C3%8B is 'Ë': q is matched case-insensitively against "Delivery-…-Zoë".
        let found = try json(try await send(app, "\(list)?q=ZO%C3%8B&limit=100", as: "admin").body)
        #expect((found["items"] as? [Any])?.count == 7)
        // '+' is a space: "delivery-1 " trims to "delivery-1", which matches one event.
        let plus = try json(try await send(app, "\(list)?q=delivery-1+", as: "admin").body)
        #expect((plus["items"] as? [Any])?.count == 1)
        // A repeated name is a list, which the validator rejects.
        let repeated = try await send(app, "\(list)?status=failed&status=completed", as: "admin")
        #expect(repeated.status == 400)
        #expect(repeated.body.contains(#""path":["status"]"#))
    }

    @Test func invalidQueriesAnswerTheSpecs400() async throws {
        let r = try await send(world.application(world.store()), "\(list)?limit=500&status=done", as: "admin")
        #expect(r.status == 400)
        let body = try json(r.body)
        #expect(body["error"] as? String == "invalid_request")
        #expect(body["message"] as? String == "limit: Too big: expected number to be <=100 (and 1 more)")
        #expect((body["details"] as? [Any])?.count == 2)
    }

    @Test(arguments: [
        "/v1/connector-sync-events?limit=abc&cursor=", "/v1/connector-sync-events/foo",
        "/v1/connector-sync-events/foo/retry",
    ])
    func unauthenticatedCallersGet401BeforeAnyValidation(uri: String) async throws {
        let app = try world.application(world.store())
        let method: HTTPRequest.Method = uri.hasSuffix("retry") ? .post : .get
        for token in [nil, "wrong"] {
            let r = try await send(app, uri, method: method, as: token)
            #expect(r.status == 401)
            #expect(r.body == #"{"error":"unauthorized"}"#)
        }
    }

    @Test func detailAnswersTheItem404And403() async throws {
        let store = try world.store()
        let app = world.application(store)
        let ok = try await send(app, path(0), as: "member")
        #expect(ok.status == 200)
        var expected = Array(#"{"item":"#.utf8)
        world.events[0].writeJSON(to: &expected, includingOrganization: false)
        #expect(ok.body == String(decoding: expected, as: UTF8.self) + "}")
        let forbidden = try await send(app, path(5), as: "member")
        #expect(forbidden.status == 403)
        #expect(forbidden.body == #"{"error":"forbidden","message":"Missing viewer access for connector instance."}"#)
        let notFound = #"{"error":"connector_sync_event_not_found","message":"Connector sync event not found."}"#
        // Another organization's event, even with a grant on its instance; and an id nobody has.
        for (uri, token) in [(path(7), "member"), (path(0), "outsider"), ("\(list)/\(World.id(.event, 999))", "admin")] {
            let r = try await send(app, uri, as: token)
            #expect(r.status == 404)
            #expect(r.body == notFound)
        }
    }

    @Test func aMalformedIdIs400OnConnectorSyncEventId() async throws {
        let app = try world.application(world.store())
        for method in [HTTPRequest.Method.get, .post] {
            let uri = method == .get ? "\(list)/cin_8zzzzzzzzzzzzzzzzzzzzzzzzz" : "\(list)/cin_8zzzzzzzzzzzzzzzzzzzzzzzzz/retry"
            let r = try await send(app, uri, method: method, as: "admin")
            #expect(r.status == 400)
            let body = try json(r.body)
            let details = try #require(body["details"] as? [[String: Any]])
            #expect(details.map { $0["message"] as? String } == [
                "TypeID must start with 'cse_'", "TypeID is structurally invalid",
            ])
            #expect(details.allSatisfy { ($0["path"] as? [String]) == ["connectorSyncEventId"] })
        }
        // A percent-encoded id is decoded before it is checked.
        let encoded = world.events[0].id.description.replacingOccurrences(of: "_", with: "%5F")
        #expect(try await send(app, "\(list)/\(encoded)", as: "admin").status == 200)
    }

    @Test func retryQueuesTheEventAgain() async throws {
        let store = try world.store()
        let app = world.application(store)
        let before = Timestamp.now
        let r = try await send(app, "\(path(0))/retry", method: .post, as: "admin")
        #expect(r.status == 202)
        #expect(r.body == #"{"ok":true,"queued":true,"job":{"id":"\#(world.events[0].id)"}}"#)
        let event = try #require(try store.event(id: world.events[0].id))
        #expect(event.status == .queued)
        #expect(event.attemptCount == 0)
        #expect(event.completedAt == nil && event.nextAttemptAt == nil)
        #expect(event.startedAt >= before)
        #expect(event.summaryJson == world.events[0].summaryJson)
    }

    @Test func retryNeedsAnEditorOrManagerGrant() async throws {
        let store = try world.store()
        let app = world.application(store)
        let editorMissing = #"{"error":"forbidden","message":"Missing editor access for connector instance."}"#
        // A viewer grant, and no grant at all: 403, and nothing changes.
        for (n, token) in [(0, "member"), (5, "member"), (0, "nobody")] {
            let r = try await send(app, "\(path(n))/retry", method: .post, as: token)
            #expect(r.status == 403)
            #expect(r.body == editorMissing)
            #expect(try store.event(id: world.events[n].id)?.status == world.events[n].status)
        }
        #expect(try await send(app, "\(path(3))/retry", method: .post, as: "member").status == 202)
        #expect(try await send(app, "\(path(5))/retry", method: .post, as: "manager").status == 202)
        let foreign = try await send(app, "\(path(7))/retry", method: .post, as: "member")
        #expect(foreign.status == 404)
        #expect(foreign.body.contains("connector_sync_event_not_found"))
    }

    @Test func unknownPathsAre404AndWrongMethods405InJSON() async throws {
        let app = try world.application(world.store())
        for uri in ["/nope", "/v1/connector-sync-events/\(World.id(.event, 1))/retry/more", "/v1"] {
            let r = try await send(app, uri, as: "admin")
            #expect(r.status == 404)
            #expect(r.contentType == "application/json")
            #expect(r.body == #"{"error":"not_found","message":"Route not found."}"#)
        }
        let cases: [(HTTPRequest.Method, String, String)] = [
            (.post, list, "GET"), (.delete, list, "GET"), (.put, path(0), "GET"), (.get, "\(path(0))/retry", "POST"),
            (.patch, "\(path(0))/retry", "POST"),
        ]
        for (method, uri, allowed) in cases {
            let r = try await send(app, uri, method: method, as: "admin")
            #expect(r.status == 405, "\(method) \(uri)")
            #expect(r.allow == allowed)
            #expect(r.body == #"{"error":"method_not_allowed","message":"Method not allowed."}"#)
        }
    }

    @Test func anAuthenticateClosureThatThrowsIsAJSON500() async throws {
        struct Broken: Error {}
        let router = Router()
        router.add(middleware: JSONErrorMiddleware())
        SyncEventsRoutes<BasicRequestContext>(store: try world.store()) { _, _ in throw Broken() }
            .mount(on: router.group("v1"))
        let r = try await send(Application(router: router), list, as: "admin")
        #expect(r.status == 500)
        #expect(r.contentType == "application/json")
        #expect(r.body == #"{"error":"internal_error","message":"The server failed to answer the request."}"#)
    }
}
