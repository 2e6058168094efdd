import Testing
@testable import SyncEventStore

/// One row of the §5 table: a raw query and either the validated query or the expected details
/// as `"path|code|message"`.
struct ValidatorCase: Sendable, CustomTestStringConvertible {
    let query: String
    let accepted: ValidatedListQuery?
    let details: [String]

    static func ok(_ query: String, _ expected: ValidatedListQuery) -> Self {
        Self(query: query, accepted: expected, details: [])
    }

    static func bad(_ query: String, _ details: String...) -> Self {
        Self(query: query, accepted: nil, details: details)
    }

    var testDescription: String { query.count > 80 ? String(query.prefix(80)) + "…" : query }
}

let cin = "cin_01h455vb4pex5vsknk084sn02q"
let ctg = "ctg_01h455vb4pex5vsknk084sn02q"
let tooSmall1 = "too_small|Too small: expected string to have >=1 characters"
let tooBig255 = "too_big|Too big: expected string to have <=255 characters"
let arrayType = "invalid_type|Invalid input: expected string, received array"
let nanType = "invalid_type|Invalid input: expected number, received NaN"
let intType = "invalid_type|Invalid input: expected int, received number"
let min1 = "too_small|Too small: expected number to be >=1"
let max100 = "too_big|Too big: expected number to be <=100"
let eventOption = "invalid_value|Invalid option: expected one of \"push\"|\"installation\"|\"installation_repositories\"|\"repository\"|\"manual_resync\""
let statusOption = "invalid_value|Invalid option: expected one of \"pending\"|\"queued\"|\"running\"|\"completed\"|\"failed\"|\"partial\"|\"ignored\""
func length(_ p: String, _ code: String = "too_small") -> String { "\(code)|TypeID must be 30 characters (\(p)_<26 char suffix>)" }
func prefix(_ p: String) -> String { "invalid_format|TypeID must start with '\(p)_'" }
let base32 = "custom|TypeID suffix contains invalid base32 characters"
let structure = "custom|TypeID is structurally invalid"
func repeated(_ name: String, _ value: String, _ times: Int) -> String {
    Array(repeating: "\(name)=\(value)", count: times).joined(separator: "&")
}
func p(_ path: String, _ rest: String) -> String { "\(path)|\(rest)" }

let validatorCases: [ValidatorCase] = [
    // Absent parameters and unknown names.
    .ok("", ValidatedListQuery()),
    .ok("foo=bar&foo=baz&LIMIT=abc&Status=x", ValidatedListQuery()),
    // limit: JavaScript Number() coercion.
    .ok("limit=0x10", ValidatedListQuery(limit: 16)),
    .ok("limit=%205%20", ValidatedListQuery(limit: 5)),
    .ok("limit=+5+", ValidatedListQuery(limit: 5)),
    .ok("limit=5.0", ValidatedListQuery(limit: 5)),
    .ok("limit=1e1", ValidatedListQuery(limit: 10)),
    .ok("limit=1", ValidatedListQuery(limit: 1)),
    .ok("limit=100", ValidatedListQuery(limit: 100)),
    .ok("limit=%2B1", ValidatedListQuery(limit: 1)),
    .ok("limit=100.0", ValidatedListQuery(limit: 100)),
    .ok("limit=1e%2B2", ValidatedListQuery(limit: 100)),
    .ok("limit=.5e1", ValidatedListQuery(limit: 5)),
    .ok("limit=0X1F", ValidatedListQuery(limit: 31)),
    .ok("limit=0b11", ValidatedListQuery(limit: 3)),
    .ok("limit=0o17", ValidatedListQuery(limit: 15)),
    .ok("limit=007", ValidatedListQuery(limit: 7)),
    .ok("limit=99.99999999999999999", ValidatedListQuery(limit: 100)),
    .ok("limit=%C2%A0%205%20%E2%80%A8", ValidatedListQuery(limit: 5)),
    .bad("limit=", p("limit", min1)),
    .bad("limit", p("limit", min1)),
    .bad("limit=%20%20", p("limit", min1)),
    .bad("limit=abc", p("limit", nanType)),
    .bad("limit=1.5", p("limit", intType)),
    .bad("limit=0.5", p("limit", intType)),
    .bad("limit=0", p("limit", min1)),
    .bad("limit=-0", p("limit", min1)),
    .bad("limit=-5", p("limit", min1)),
    .bad("limit=101", p("limit", max100)),
    .bad("limit=-0x10", p("limit", nanType)),
    .bad("limit=1_0", p("limit", nanType)),
    .bad("limit=1e", p("limit", nanType)),
    .bad("limit=0x", p("limit", nanType)),
    .bad("limit=%E1%A0%8E5", p("limit", nanType)),  // U+180E is not white space
    .bad("limit=Infinity", p("limit", "invalid_type|Invalid input: expected number, received number")),
    .bad("limit=-Infinity", p("limit", "invalid_type|Invalid input: expected number, received number")),
    .bad("limit=1e20",
         p("limit", "too_big|Too big: expected int to be <9007199254740991"), p("limit", max100)),
    .bad("limit=-1e20",
         p("limit", "too_small|Too small: expected int to be >-9007199254740991"), p("limit", min1)),
    .bad("limit=9007199254740991", p("limit", max100)),
    .bad("limit=1&limit=2", p("limit", nanType)),
    .bad("limit=5&limit=5", p("limit", nanType)),
    // cursor and q: trimmed, then 1...255 UTF-16 units.
    .ok("cursor=%20abc%0A&q=%E3%80%80x%20y%E2%80%A9",
        ValidatedListQuery(cursor: "abc", q: "x y")),
    .ok("q=" + String(repeating: "a", count: 255), ValidatedListQuery(q: String(repeating: "a", count: 255))),
    .ok("q=" + String(repeating: "%F0%9F%98%80", count: 127) + "a",
        ValidatedListQuery(q: String(repeating: "\u{1F600}", count: 127) + "a")),
    .ok("q=%25_*", ValidatedListQuery(q: "%_*")),
    .bad("cursor=", p("cursor", tooSmall1)),
    .bad("cursor", p("cursor", tooSmall1)),
    .bad("q=%20%20", p("q", tooSmall1)),
    .bad("q=+%09+", p("q", tooSmall1)),
    .bad("q=" + String(repeating: "a", count: 256), p("q", tooBig255)),
    .bad("q=" + String(repeating: "%F0%9F%98%80", count: 128), p("q", tooBig255)),
    .bad("cursor=" + String(repeating: "b", count: 256), p("cursor", tooBig255)),
    .bad("cursor=a&cursor=b", p("cursor", arrayType)),
    .bad("q=a&q=a", p("q", arrayType)),
    .bad(repeated("q", "a", 255), p("q", arrayType)),
    .bad(repeated("q", "a", 256), p("q", arrayType), p("q", "too_big|Too big: expected array to have <=255 items")),
    // eventType and status: exact enum values.
    .ok("eventType=push", ValidatedListQuery(eventType: "push")),
    .ok("eventType=installation_repositories", ValidatedListQuery(eventType: "installation_repositories")),
    .ok("eventType=manual_resync&status=partial", ValidatedListQuery(eventType: "manual_resync", status: "partial")),
    .ok("status=ignored", ValidatedListQuery(status: "ignored")),
    .bad("eventType=", p("eventType", eventOption)),
    .bad("eventType=PUSH", p("eventType", eventOption)),
    .bad("eventType=%20push", p("eventType", eventOption)),
    .bad("eventType=push&eventType=push", p("eventType", eventOption)),
    .bad("status=a&status=b", p("status", statusOption)),
    .bad("status=", p("status", statusOption)),
    // TypeIDs.
    .ok("connectorInstanceId=\(cin)&connectorTargetId=\(ctg)",
        ValidatedListQuery(connectorInstanceId: cin, connectorTargetId: ctg)),
    .ok("connectorInstanceId=cin_7zzzzzzzzzzzzzzzzzzzzzzzzz",
        ValidatedListQuery(connectorInstanceId: "cin_7zzzzzzzzzzzzzzzzzzzzzzzzz")),
    .bad("connectorInstanceId=foo", p("connectorInstanceId", length("cin")),
         p("connectorInstanceId", prefix("cin")), p("connectorInstanceId", base32),
         p("connectorInstanceId", structure)),
    .bad("connectorInstanceId=", p("connectorInstanceId", length("cin")),
         p("connectorInstanceId", prefix("cin")), p("connectorInstanceId", base32),
         p("connectorInstanceId", structure)),
    .bad("connectorInstanceId=cin_8zzzzzzzzzzzzzzzzzzzzzzzzz", p("connectorInstanceId", structure)),
    .bad("connectorInstanceId=cin_", p("connectorInstanceId", length("cin")),
         p("connectorInstanceId", base32), p("connectorInstanceId", structure)),
    .bad("connectorInstanceId=\(ctg)", p("connectorInstanceId", prefix("cin"))),
    .bad("connectorTargetId=\(cin)", p("connectorTargetId", prefix("ctg"))),
    .bad("connectorInstanceId=cin_01H455VB4PEX5VSKNK084SN02Q",
         p("connectorInstanceId", base32), p("connectorInstanceId", structure)),
    .bad("connectorInstanceId=\(cin)q", p("connectorInstanceId", length("cin", "too_big")),
         p("connectorInstanceId", structure)),
    .bad("connectorInstanceId=cin_01h455vb4pex5vsknk084sn0iq",
         p("connectorInstanceId", base32), p("connectorInstanceId", structure)),
    .bad("connectorInstanceId=cin_01h455vb4pex5vsknk084sn0_q",
         p("connectorInstanceId", base32), p("connectorInstanceId", structure)),
    .bad("connectorInstanceId=cin_01h455vb4pex5vsknk084sn02%C3%A9",
         p("connectorInstanceId", base32), p("connectorInstanceId", structure)),
    .bad("connectorInstanceId=xcin_01h455vb4pex5vsknk084sn02", p("connectorInstanceId", prefix("cin")),
         p("connectorInstanceId", base32), p("connectorInstanceId", structure)),
    .bad("connectorInstanceId=%20\(cin)", p("connectorInstanceId", length("cin", "too_big")),
         p("connectorInstanceId", prefix("cin")), p("connectorInstanceId", base32),
         p("connectorInstanceId", structure)),
    .bad("connectorTargetId=a&connectorTargetId=b", p("connectorTargetId", arrayType),
         p("connectorTargetId", length("ctg"))),
    .bad(repeated("connectorTargetId", ctg, 2), p("connectorTargetId", arrayType),
         p("connectorTargetId", length("ctg"))),
    .bad(repeated("connectorTargetId", ctg, 30), p("connectorTargetId", arrayType)),
    .bad(repeated("connectorTargetId", ctg, 31), p("connectorTargetId", arrayType),
         p("connectorTargetId", length("ctg", "too_big"))),
    // Everything at once: parameter order is kept.
    .bad("q=&status=x&eventType=x&connectorTargetId=x&connectorInstanceId=x&limit=x&cursor=",
         p("cursor", tooSmall1), p("limit", nanType),
         p("connectorInstanceId", length("cin")), p("connectorInstanceId", prefix("cin")),
         p("connectorInstanceId", base32), p("connectorInstanceId", structure),
         p("connectorTargetId", length("ctg")), p("connectorTargetId", prefix("ctg")),
         p("connectorTargetId", base32), p("connectorTargetId", structure),
         p("eventType", eventOption), p("status", statusOption), p("q", tooSmall1)),
    .ok("cursor=c&limit=7&connectorInstanceId=\(cin)&connectorTargetId=\(ctg)&eventType=push&status=failed&q=sha&x=1",
        ValidatedListQuery(cursor: "c", limit: 7, connectorInstanceId: cin, connectorTargetId: ctg,
                           eventType: "push", status: "failed", q: "sha")),
]

@Suite("ListQueryValidator (§3, §5)")
struct ListQueryValidatorTests {
    static func outcome(_ result: Result<ValidatedListQuery, InvalidRequestError>) -> (ValidatedListQuery?, [String]) {
        switch result {
        case .success(let query): return (query, [])
        case .failure(let error):
            return (nil, error.details.map { "\($0.path.joined(separator: "."))|\($0.code)|\($0.message)" })
        }
    }

    @Test("validation table", arguments: validatorCases)
    func table(_ row: ValidatorCase) {
        let (query, details) = Self.outcome(ListQueryValidator.validate(URLQueryDecoding.decode(row.query)))
        #expect(query == row.accepted)
        #expect(details == row.details)
        // These queries are well formed, so Hono's decoding gives the same answer.
        let (honoQuery, honoDetails) = Self.outcome(ListQueryValidator.validate(query: row.query))
        #expect(honoQuery == row.accepted)
        #expect(honoDetails == row.details)
    }

    @Test("summary message names the first detail and counts the rest")
    func summary() throws {
        let one = try #require(ListQueryValidator.validate(query: "limit=101").failureValue)
        #expect(one.message == "limit: Too big: expected number to be <=100")
        let four = try #require(ListQueryValidator.validate(query: "connectorInstanceId=foo").failureValue)
        #expect(four.message == "connectorInstanceId: TypeID must be 30 characters (cin_<26 char suffix>) (and 3 more)")
        let two = try #require(ListQueryValidator.validate(query: "status=a&status=b&q=%20").failureValue)
        #expect(two.message == "status: \(statusOption.split(separator: "|", maxSplits: 1)[1]) (and 1 more)")
        #expect(InvalidRequestError.summary(of: []) == "The request was invalid.")
        let noPath = ValidationIssue(code: "custom", message: "Bad", path: [])
        #expect(InvalidRequestError.summary(of: [noPath, noPath, noPath]) == "Bad (and 2 more)")
    }

    @Test("zod extra keys are carried")
    func extraKeys() throws {
        let error = try #require(ListQueryValidator.validate(query: "limit=abc&q=").failureValue)
        #expect(error.details[0].field("received") == .string("NaN"))
        #expect(error.details[0].field("expected") == .string("number"))
        #expect(error.details[1].field("minimum") == .integer(1))
        #expect(error.details[1].field("inclusive") == .bool(true))
        #expect(error.details[1].field("origin") == .string("string"))
        let status = try #require(ListQueryValidator.validate(query: "status=x").failureValue)
        #expect(status.details[0].field("values") == .strings(ListQueryValidator.statuses))
    }

    @Test("400 bodies match JSON.stringify of the zod issues byte for byte", arguments: JSGoldens.bodies.indices)
    func body(index: Int) throws {
        let (query, expected) = JSGoldens.bodies[index]
        let error = try #require(ListQueryValidator.validate(query: query).failureValue)
        #expect(String(decoding: error.jsonBody(), as: UTF8.self) == expected)
        #expect(error.jsonBody() == Array(expected.utf8))
    }

    @Test("one detail serializes in zod's key order")
    func detailJSON() throws {
        let error = try #require(ListQueryValidator.validate(query: "q=%20").failureValue)
        let json = String(decoding: error.details[0].jsonBytes(), as: UTF8.self)
        #expect(json == #"{"origin":"string","code":"too_small","minimum":1,"inclusive":true,"path":["q"],"message":"Too small: expected string to have >=1 characters"}"#)
    }

    @Test("Hono and URLSearchParams differ only on malformed escapes")
    func decoderDifference() {
        #expect(ListQueryValidator.validate(URLQueryDecoding.decode("q=%FF")).successValue?.q == "\u{FFFD}")
        #expect(ListQueryValidator.validate(query: "q=%FF").successValue?.q == "%FF")
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }

    var successValue: Success? {
        if case .success(let value) = self { return value }
        return nil
    }
}
