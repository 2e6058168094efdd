import ArgumentParser
import Foundation
import SyncEventStore

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time list requests in process: parse, plan, execute and encode the 200 body.",
        discussion: """
            FILE is NDJSON, one request a line, e.g.
              {"organizationId": "org_…", "viewer": "admin",
               "query": "status=failed&limit=50"}
              {"organizationId": "org_…",
               "viewer": {"visibleInstances": ["cin_…"]}, "query": "q=fix"}
            Each request runs --repeat times after one warm-up run (parse, plan, execute, encode the body), and one JSON line is printed per request:
              {"query":"status=failed&limit=50","items":50,
               "p50_us":85.2,"p99_us":140.9}

            Example:
              syncevents bench --store /tmp/events --queries requests.ndjson \\
                --repeat 1000
              syncevents bench --postgres postgres://den@127.0.0.1/den \\
                --queries requests.ndjson
            """
    )

    @OptionGroup var store: StoreOption

    @Option(help: ArgumentHelp("The NDJSON file of requests.", valueName: "FILE"))
    var queries: String?

    @Option(help: ArgumentHelp(
        "Also time this many claimDue(limit: 10) calls (they claim events: run it on a copy).", valueName: "N"))
    var claims: Int = 0

    @Option(name: .customLong("repeat"), help: "Runs per request.")
    var repetitions: Int = 100

    struct Request: Sendable {
        var query: String
        var viewer: Viewer
    }

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard queries != nil || claims > 0 else { throw ValidationError("give --queries FILE, --claims N, or both") }
    }

    func run() throws {
        let requests = try queries.map { try readRequests($0) } ?? []
        let repetitions = self.repetitions
        let claims = self.claims
        // --postgres goes through the same protocol: each request is a round trip and a transaction.
        try store.withStore { store in
            var timings = [Double](repeating: 0, count: repetitions)
            for request in requests {
                var response = try await store.listResponse(query: URLQueryDecoding.decode(request.query), as: request.viewer)
                for i in 0..<repetitions {
                    let start = monotonicSeconds()
                    response = try await store.listResponse(query: URLQueryDecoding.decode(request.query), as: request.viewer)
                    timings[i] = (monotonicSeconds() - start) * 1e6
                }
                timings.sort()
                Bench.report(request, response, timings)
            }
            if claims > 0 { try await Bench.timeClaims(store, claims) }
        }
    }

    /// Times `count` claims of up to 10 due events each, every queued event being due (now is the latest
    /// time a record holds), and prints one JSON line.
    static func timeClaims(_ store: any SyncEventStoring, _ count: Int) async throws {
        var timings: [Double] = []
        var claimed = 0
        for _ in 0..<count {
            let start = monotonicSeconds()
            let got = try await store.claimDue(now: .latest, limit: 10, lease: .seconds(600))
            timings.append((monotonicSeconds() - start) * 1e6)
            claimed += got.count
        }
        timings.sort()
        let line = JSONObject([
            ("claimDue", .number(.integer(10))), ("calls", .number(.integer(Int64(count)))),
            ("claimed", .number(.integer(Int64(claimed)))),
            ("p50_us", .number(.double((timings[timings.count / 2] * 10).rounded() / 10))),
            ("p99_us", .number(.double((timings[min(timings.count - 1, timings.count * 99 / 100)] * 10).rounded() / 10))),
        ])
        var out: [UInt8] = []
        JSONWriter.write(.object(line), to: &out)
        out.append(UInt8(ascii: "\n"))
        Output.writeAll(1, out)
    }

    /// Prints one JSON line: the query, its item count, p50 and p99 in microseconds.
    static func report(_ request: Request, _ response: ListResponse, _ timings: [Double]) {
        func percentile(_ p: Double) -> JSONValue {
            let v = timings[min(timings.count - 1, Int((p * Double(timings.count)).rounded(.up)) - 1)]
            return .number(.double((v * 10).rounded() / 10))
        }
        var line = JSONObject([
            ("query", .string(request.query)), ("items", .number(.integer(Int64(response.itemCount)))),
            ("p50_us", percentile(0.5)), ("p99_us", percentile(0.99)),
        ])
        if response.status != 200 { line["status"] = .number(.integer(Int64(response.status))) }
        var out: [UInt8] = []
        JSONWriter.write(.object(line), to: &out)
        out.append(UInt8(ascii: "\n"))
        Output.writeAll(1, out)
    }

    private func readRequests(_ queries: String) throws -> [Request] {
        var requests: [Request] = []
        try forEachLine(of: queries) { line, number in
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
            func fail(_ why: String) -> Failure {
                Failure("\(queries) line \(number): \(why); expected {\"organizationId\": \"org_…\", \"viewer\": \"admin\" | {\"visibleInstances\": [\"cin_…\"]}, \"query\": \"status=failed&limit=50\"}")
            }
            guard case .object(let o)? = try? JSONParser.parse(line) else { throw fail("not a JSON object") }
            guard case .string(let orgText)? = o["organizationId"],
                let org = TypeID.parse(orgText, prefix: .organization)
            else { throw fail("organizationId must be an org_ TypeID") }
            var query = ""
            switch o["query"] {
            case nil, .null?: break
            case .string(let q)?: query = q
            default: throw fail("query must be a string")
            }
            let viewer: Viewer
            switch o["viewer"] {
            case nil, .string("admin")?: viewer = .admin(organization: org)
            case .object(let v)?:
                guard case .array(let list)? = v["visibleInstances"] else { throw fail("viewer.visibleInstances must be an array") }
                var ids = Set<TypeID>()
                for item in list {
                    guard case .string(let s) = item, let id = TypeID.parse(s, prefix: .connectorInstance) else {
                        throw fail("viewer.visibleInstances must hold cin_ TypeIDs")
                    }
                    ids.insert(id)
                }
                viewer = .member(organization: org, visibleInstances: ids)
            default: throw fail("viewer must be \"admin\" or {\"visibleInstances\": [...]}")
            }
            requests.append(Request(query: query, viewer: viewer))
        }
        return requests
    }
}
