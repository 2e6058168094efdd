import Foundation
import Hummingbird
import SyncEventStore
import SyncEventStoreHTTP

/// The callers of `syncevents serve`, by token, read from the `--tokens` JSON file:
/// `{"tokens": {"<token>": {"organizationId": "org_…", "role": "admin"},
///              "<token2>": {"organizationId": "org_…", "role": "member", "grants": {"cin_…": "viewer"}}}}`.
struct TokenTable: Sendable {
    var callers: [String: Caller] = [:]

    /// The caller of a request: `Authorization: Bearer <token>` or `x-api-key: <token>`; `nil` otherwise.
    func caller(for request: Request) -> Caller? {
        if let authorization = request.headers[.authorization], let token = Self.bearerToken(authorization),
            let caller = callers[token]
        {
            return caller
        }
        if let key = request.headers.first(where: { $0.name.canonicalName == "x-api-key" }) {
            return callers[key.value]
        }
        return nil
    }

    /// The token of `Bearer <token>` (the scheme in any case), `nil` for another scheme.
    ///
    /// Spaces and tabs around the scheme and the token are skipped. Works on the UTF-8 bytes: it runs for
    /// every request, and Foundation's `trimmingCharacters` was ~4 % of a page request's server time.
    static func bearerToken(_ header: String) -> String? {
        let utf8 = header.utf8
        func isBlank(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        var i = utf8.startIndex
        while i != utf8.endIndex, isBlank(utf8[i]) { i = utf8.index(after: i) }
        for letter in "bearer".utf8 {
            guard i != utf8.endIndex, utf8[i] | 0x20 == letter else { return nil }
            i = utf8.index(after: i)
        }
        guard i != utf8.endIndex, isBlank(utf8[i]) else { return nil }
        while i != utf8.endIndex, isBlank(utf8[i]) { i = utf8.index(after: i) }
        var end = utf8.endIndex
        while end != i, isBlank(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        guard i != end else { return nil }
        return String(header[i..<end])
    }

    /// Reads and checks the file; every problem names the file, the token (its first characters) and the
    /// field.
    static func load(path: String) throws -> TokenTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure("--tokens \(path): cannot read the file; check the path")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw Failure("--tokens \(path): not valid JSON (\(error.localizedDescription))")
        }
        guard let top = json as? [String: Any], let tokens = top["tokens"] as? [String: Any] else {
            throw Failure(#"--tokens \#(path): expected {"tokens": {"<token>": {"organizationId": "org_…", "role": "admin"}}}"#)
        }
        var table = TokenTable()
        for (token, entry) in tokens.sorted(by: { $0.key < $1.key }) {
            let name = "--tokens \(path): token \"\(token.prefix(4))…\""
            guard !token.isEmpty else { throw Failure("--tokens \(path): a token is the empty string") }
            table.callers[token] = try caller(entry, name: name)
        }
        return table
    }

    private static func caller(_ entry: Any, name: String) throws -> Caller {
        guard let entry = entry as? [String: Any] else {
            throw Failure("\(name): expected an object with organizationId and role")
        }
        guard let orgText = entry["organizationId"] as? String,
            let organization = TypeID.parse(orgText, prefix: .organization)
        else {
            throw Failure("\(name): organizationId must be an org_ TypeID such as org_01h2xcejqtf2nbrexx3vqjhp41")
        }
        switch entry["role"] as? String {
        case "admin":
            return .admin(organization: organization)
        case "member":
            guard let grants = (entry["grants"] ?? [String: Any]()) as? [String: Any] else {
                throw Failure(#"\#(name): grants must be an object such as {"cin_…": "viewer"}"#)
            }
            var roles: [TypeID: GrantRole] = [:]
            for (instanceText, roleValue) in grants {
                guard let instance = TypeID.parse(instanceText, prefix: .connectorInstance) else {
                    throw Failure("\(name): grant \"\(instanceText)\" is not a cin_ TypeID")
                }
                guard let role = (roleValue as? String).flatMap(GrantRole.init(rawValue:)) else {
                    throw Failure("\(name): grant \(instanceText) must be \"viewer\", \"editor\" or \"manager\"")
                }
                roles[instance] = role
            }
            return .member(organization: organization, grants: roles)
        default:
            throw Failure("\(name): role must be \"admin\" or \"member\"")
        }
    }
}
