/// A framework-neutral HTTP response: the status, the headers and the exact body bytes.
///
/// Every answer of the endpoint is JSON (`content-type: application/json`); a server only copies
/// these three fields into its own response type.
public struct HTTPAnswer: Sendable, Equatable {
    /// The status code, e.g. 200, 400, 401.
    public var status: Int
    /// Response headers (lowercase names), e.g. `content-type`, and `allow` on a 405.
    public var headers: [String: String]
    /// The body, byte for byte.
    public var body: [UInt8]

    /// Creates an answer; `content-type` defaults to `application/json`.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8]) {
        self.status = status
        self.headers = headers
        if self.headers["content-type"] == nil { self.headers["content-type"] = "application/json" }
        self.body = body
    }

    /// The body as text (for logs and tests).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// 401 `{"error":"unauthorized"}`: the caller is not signed in.
    public static let unauthorized = HTTPAnswer(status: 401, body: Array(#"{"error":"unauthorized"}"#.utf8))

    /// 404 `{"error":"not_found","message":"Route not found."}`: no route has this path.
    public static let routeNotFound = HTTPAnswer(
        status: 404, body: Array(#"{"error":"not_found","message":"Route not found."}"#.utf8))

    /// 405 `{"error":"method_not_allowed",…}` with an `allow` header listing `allowed`.
    public static func methodNotAllowed(allowed: [String]) -> HTTPAnswer {
        HTTPAnswer(
            status: 405, headers: ["allow": allowed.joined(separator: ", ")],
            body: Array(#"{"error":"method_not_allowed","message":"Method not allowed."}"#.utf8))
    }

    /// 403 `{"error":"forbidden","message":"Missing editor access for connector instance."}`: a retry by a
    /// member without an `editor` or `manager` grant on the event's instance.
    public static let editorAccessMissing = HTTPAnswer(
        status: 403,
        body: Array(#"{"error":"forbidden","message":"Missing editor access for connector instance."}"#.utf8))

    /// 500 `{"error":"internal_error","message":…}`: the store failed (I/O, closed, corrupted).
    public static func internalError(_ message: String) -> HTTPAnswer {
        error(status: 500, code: "internal_error", message: message)
    }

    /// A JSON error `{"error":"<code>","message":"<message>"}` with `status`.
    public static func error(status: Int, code: String, message: String) -> HTTPAnswer {
        var body = Array(#"{"error":"#.utf8)
        appendJSONString(code, to: &body)
        body += Array(#","message":"#.utf8)
        appendJSONString(message, to: &body)
        body.append(UInt8(ascii: "}"))
        return HTTPAnswer(status: status, body: body)
    }

    /// 202 `{"ok":true,"queued":true,"job":{"id":"<id>"}}`: the retry is recorded.
    static func retryQueued(_ id: String) -> HTTPAnswer {
        HTTPAnswer(status: 202, body: Array(#"{"ok":true,"queued":true,"job":{"id":"\#(id)"}}"#.utf8))
    }

    /// Appends `text` as a JSON string literal (quotes, backslashes and control characters escaped).
    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array(#"\u00"#.utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
