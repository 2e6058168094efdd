import Hummingbird
import SyncEventStore
import SyncEventStoreHTTP

/// Mounts the connector-sync-events endpoint (BEHAVIOUR.md §7) on a Hummingbird 2 router or group.
///
/// ```swift
/// let router = Router()
/// let routes = SyncEventsRoutes<BasicRequestContext>(store: store) { request, _ in
///     request.headers[.authorization] == "Bearer secret" ? .admin(organization: org) : nil
/// }
/// routes.mount(on: router.group("v1"))
/// // GET /v1/connector-sync-events, GET /v1/connector-sync-events/{id},
/// // POST /v1/connector-sync-events/{id}/retry
/// ```
///
/// The raw query string (`request.uri.query`) reaches the store unchanged; `authenticate` runs before any
/// parameter is looked at, and a `nil` caller gets 401. Other methods on these paths get a JSON 405.
public struct SyncEventsRoutes<Context: RequestContext>: Sendable {
    /// Resolves the caller of a request: `nil` when it is not signed in (401).
    public typealias Authenticate = @Sendable (Request, Context) async throws -> Caller?

    /// The framework-neutral endpoint the routes call.
    public let endpoint: SyncEventsEndpoint
    private let authenticate: Authenticate

    /// Creates the routes over `store`: the embedded ``SyncEventStore`` or any other ``SyncEventStoring``
    /// such as `PostgresSyncEventStore`; retries on the embedded store run on `writes`.
    public init(store: any SyncEventStoring, writes: WriteQueue = WriteQueue(), authenticate: @escaping Authenticate) {
        self.init(endpoint: SyncEventsEndpoint(store: store, writes: writes), authenticate: authenticate)
    }

    /// Creates the routes over an existing endpoint.
    public init(endpoint: SyncEventsEndpoint, authenticate: @escaping Authenticate) {
        self.endpoint = endpoint
        self.authenticate = authenticate
    }

    /// The methods answered with 405 on the endpoint's paths (any other method gets the router's 404).
    static var otherMethods: [HTTPRequest.Method] { [.get, .head, .post, .put, .patch, .delete, .options, .trace] }

    /// Adds `connector-sync-events`, `connector-sync-events/:id` and `connector-sync-events/:id/retry`
    /// to `group`, relative to its path (mount on `router.group("v1")` for the contract's paths).
    public func mount(on group: some RouterMethods<Context>) {
        let list: RouterPath = "connector-sync-events"
        let detail: RouterPath = "connector-sync-events/:id"
        let retry: RouterPath = "connector-sync-events/:id/retry"
        group.get(list) { request, context in
            let caller = try await authenticate(request, context)
            return Self.response(await endpoint.list(query: request.uri.query, caller: caller))
        }
        group.get(detail) { request, context in
            let caller = try await authenticate(request, context)
            return Self.response(await endpoint.detail(id: context.parameters.get("id") ?? "", caller: caller))
        }
        group.post(retry) { request, context in
            let caller = try await authenticate(request, context)
            return Self.response(await endpoint.retry(id: context.parameters.get("id") ?? "", caller: caller))
        }
        for (path, allowed) in [(list, HTTPRequest.Method.get), (detail, .get), (retry, .post)] {
            Self.rejectOtherMethods(on: group, path: path, allowed: allowed)
        }
    }

    /// Answers a JSON 405 (with `allow: <allowed>`) to GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS and TRACE
    /// requests on `path`, except `allowed`; ``JSONErrorMiddleware`` covers any other method.
    public static func rejectOtherMethods(
        on group: some RouterMethods<Context>, path: RouterPath, allowed: HTTPRequest.Method
    ) {
        for method in otherMethods where method != allowed {
            group.on(path, method: method) { _, _ in
                Self.response(.methodNotAllowed(allowed: [allowed.rawValue]))
            }
        }
    }

    /// The Hummingbird response of an ``HTTPAnswer`` (its `content-type` and `allow` headers, the only
    /// ones the endpoint sets).
    public static func response(_ answer: HTTPAnswer) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = answer.headers["content-type"]
        fields[.allow] = answer.headers["allow"]
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}
