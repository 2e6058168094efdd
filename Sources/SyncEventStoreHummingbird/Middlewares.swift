import Hummingbird
import Logging
import SyncEventStoreHTTP

/// Logs one line per request through swift-log: method, path, status and duration in milliseconds.
///
/// ```swift
/// router.add(middleware: AccessLogMiddleware(logger: Logger(label: "access")))
/// // info: GET /v1/connector-sync-events 200 0.41ms
/// ```
public struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Where the lines go (level `info`).
    public let logger: Logger

    /// Creates the middleware.
    public init(logger: Logger) {
        self.logger = logger
    }

    /// Times the request and logs its line once the response (or error) is known.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, status: response.status.code, since: start)
            return response
        } catch {
            log(request, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: start)
            throw error
        }
    }

    private func log(_ request: Request, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3
        let rounded = (ms * 100).rounded() / 100
        logger.info("\(request.method.rawValue) \(request.uri.path) \(status) \(rounded)ms")
    }
}

/// Turns the router's errors into JSON bodies, never HTML or an empty body: an unknown path is
/// 404 `{"error":"not_found",…}`, an unknown method on one of the endpoint's paths a 405 with `allow`, and
/// any other `HTTPError` `{"error":"<status reason>","message":…}`, and an error that is not an HTTP
/// response error a 500 `{"error":"internal_error",…}`. Add it to the router itself (not a
/// group) so that it also sees requests no route matched.
public struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Other paths of the server and their one method, answered with a 405 for any other method.
    public let otherRoutes: [String: String]

    /// Creates the middleware; `otherRoutes` maps the server's other paths to their method, e.g.
    /// `["/health": "GET"]`.
    public init(otherRoutes: [String: String] = [:]) {
        self.otherRoutes = otherRoutes
    }

    /// Passes the request on and rewrites an error into a JSON response.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            if error.status == .notFound {
                let path = request.uri.path
                let answer = otherRoutes[path].map { .methodNotAllowed(allowed: [$0]) }
                    ?? SyncEventsEndpoint.unroutable(method: request.method.rawValue, path: path)
                return SyncEventsRoutes<Context>.response(answer)
            }
            let code = String(error.status.reasonPhrase.lowercased().map { $0 == " " ? "_" : $0 })
            let answer = HTTPAnswer.error(
                status: error.status.code, code: code, message: error.body ?? error.status.reasonPhrase)
            return SyncEventsRoutes<Context>.response(answer)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            // An error of the application (an `authenticate` closure that threw, say): a JSON 500.
            context.logger.error("\(request.method.rawValue) \(request.uri.path): \(error)")
            return SyncEventsRoutes<Context>.response(.internalError("The server failed to answer the request."))
        }
    }
}
