/// The checks the libFuzzer targets (`Sources/fuzz-inputs`, `make fuzz`) run on each input, and that the
/// regression tests replay: every input gives a page, a well-formed 400 or a named refusal. Anything
/// else stops the process with a message naming the broken promise, which libFuzzer reports as a crash.
///
/// Package-internal: neither public API nor part of the store's behaviour.
package enum FuzzHarness {
    /// The three hostile-input surfaces.
    package enum Target: String, CaseIterable, Sendable {
        /// A raw URL query: decoding (WHATWG and Hono), validation, then a page or a 400.
        case query
        /// A cursor: either the raw text, or a payload signed with the store's secret (what a caller
        /// holding a leaked secret could send) so that the decoder's later steps are reached too.
        case cursor
        /// One NDJSON import line: an event (that round-trips exactly) or a named refusal.
        case record
    }

    /// What an input gave, for the replay tool and tests.
    package enum Outcome: Equatable, Sendable {
        case page(items: Int)
        case badRequest(path: String)
        case refused(field: String)
        case event
    }

    /// The store the query and cursor targets read: 60 generated events, built once.
    static let fixture: (store: SyncEventStore, organizations: [TypeID], instances: [TypeID]) = {
        let generator = EventGenerator(
            EventGenerator.Configuration(events: 60, organizations: 2, instances: 4, targets: 12, seed: 7))
        let store = SyncEventStore.inMemory()
        try! store.record(contentsOf: generator)
        return (store, generator.organizations, generator.instances.map(\.id))
    }()

    /// Runs one input through `target`; stops the process when a promise is broken.
    @discardableResult
    package static func run(_ target: Target, _ data: [UInt8]) -> Outcome {
        switch target {
        case .query: return query(data)
        case .cursor: return cursor(data)
        case .record: return record(data)
        }
    }

    /// The viewer an input byte selects: an admin or a member of either organization.
    static func viewer(_ byte: UInt8?) -> Viewer {
        let f = fixture
        let org = f.organizations[Int(byte ?? 0) % f.organizations.count]
        switch (byte ?? 0) / 2 % 3 {
        case 0: return .admin(organization: org)
        case 1: return .member(organization: org, visibleInstances: [])
        default: return .member(organization: org, visibleInstances: Set(f.instances.prefix(Int(byte ?? 0) % 4)))
        }
    }

    static func query(_ data: [UInt8]) -> Outcome {
        let viewer = viewer(data.first)
        let text = String(decoding: data.dropFirst(), as: UTF8.self)
        let standard = URLQueryDecoding.decode(text)
        let hono = URLQueryDecoding.decodeLikeHono(text)
        var last = Outcome.page(items: 0)
        for items in hono == standard ? [standard] : [standard, hono] {
            let (outcome, next) = answer(items, viewer)
            last = outcome
            // A page's cursor must give the next page of the same query.
            if let next {
                let (again, _) = answer(
                    items.filter { $0.name != "cursor" } + [QueryItem(name: "cursor", value: next)], viewer)
                guard case .page = again else { broken("the nextCursor of a page was refused: \(again)") }
            }
        }
        return last
    }

    static func cursor(_ data: [UInt8]) -> Outcome {
        let viewer = viewer(data.first)
        let f = fixture
        var items = [QueryItem(name: "limit", value: String(1 + Int(data.dropFirst().first ?? 0) % 100))]
        let filter = data.dropFirst(2).first ?? 0
        if filter & 1 != 0 { items.append(QueryItem(name: "status", value: "failed")) }
        if filter & 2 != 0 { items.append(QueryItem(name: "connectorInstanceId", value: f.instances[0].description)) }
        if filter & 4 != 0 { items.append(QueryItem(name: "q", value: "a")) }
        let body = Array(data.dropFirst(3))
        let text: String
        if filter & 0x80 != 0 {
            // Signed: version, startedAt and id from the input, tag made with the store's secret.
            guard case .success(let request) = ListRequest.parse(items) else {
                broken("the fixed filters were refused")
            }
            var payload = Array(body.prefix(PageCursor.byteLength - PageCursor.tagLength))
            payload += [UInt8](repeating: 0, count: PageCursor.byteLength - PageCursor.tagLength - payload.count)
            let secret: [UInt8]
            switch f.store.backend {
            case .lmdb(let e): secret = e.secret
            case .memory(let e): secret = e.secret
            }
            let binding = PageCursor.binding(request, viewer)
            text = Base64URL.encode(payload + PageCursor.tag(secret: secret, payload: payload[...], binding: binding))
        } else {
            text = String(decoding: body, as: UTF8.self)
        }
        return answer(items + [QueryItem(name: "cursor", value: text)], viewer).outcome
    }

    static func record(_ data: [UInt8]) -> Outcome {
        let event: SyncEvent
        do {
            event = try SyncEvent(jsonLine: data)
        } catch {
            guard !error.field.isEmpty, !error.rule.isEmpty else { broken("a refusal without field or rule: \(error)") }
            return .refused(field: error.field)
        }
        // An accepted line is kept exactly: its export line decodes to the same event, and the stored
        // form decodes to it and writes the same JSON.
        let line = event.ndjsonLine
        guard (try? SyncEvent(jsonLine: line)) == event else { broken("the export line of an accepted event differs") }
        let stored = RecordCodec.encode(event)
        var json: [UInt8] = []
        do {
            let decoded = try stored.withUnsafeBytes { bytes in
                try RecordView(bytes).writeJSON(to: &json)
                return try RecordCodec.decode(bytes)
            }
            guard decoded == event else { broken("the stored form of an event decodes to another event") }
        } catch {
            broken("the stored form of an accepted event was refused: \(error)")
        }
        guard json == event.jsonBytes else { broken("the stored JSON of an event differs from its JSON") }
        return .event
    }

    /// The answer to `items`: a page whose body is the spec's shape (and its next cursor), or a
    /// well-formed 400.
    static func answer(_ items: [QueryItem], _ viewer: Viewer) -> (outcome: Outcome, next: String?) {
        let response: ListResponse
        do {
            response = try fixture.store.listResponse(query: items, as: viewer)
        } catch {
            broken("listResponse threw \(error)")
        }
        switch response.status {
        case 200:
            // The page body is written from stored JSON, not from the input: a cheap shape check keeps
            // the target fast; the 400 body, which quotes the input, is parsed in full.
            guard let next = pageCursor(response.body), response.itemCount <= 100 else {
                broken("a 200 body that is not {\"items\":[…],\"nextCursor\":…}")
            }
            return (.page(items: response.itemCount), next)
        case 400:
            guard case .object(let body) = try? JSONParser.parse(response.body) else {
                broken("a 400 body that is not a JSON object")
            }
            guard body["error"] == .string("invalid_request"), text(body["message"]) != nil,
                case .array(let details) = body["details"], let first = details.first,
                case .object(let issue) = first, text(issue["code"]) != nil,
                text(issue["message"]) != nil, case .array(let path) = issue["path"]
            else { broken("a 400 body that is not the spec's invalid_request shape") }
            return (.badRequest(path: path.compactMap(text).joined(separator: ".")), nil)
        default:
            broken("status \(response.status)")
        }
    }

    /// The `nextCursor` of a 200 body (`.some(nil)` for `null`), or `nil` when the body is misshapen.
    static func pageCursor(_ body: [UInt8]) -> String?? {
        let head = Array(#"{"items":["#.utf8)
        let key = Array(#"],"nextCursor":"#.utf8)
        guard body.starts(with: head), body.last == UInt8(ascii: "}"), body.count >= head.count + key.count + 5 else {
            return nil
        }
        // The cursor is base64url: the key is the last `],"nextCursor":` of the body.
        guard
            let k = stride(from: body.count - key.count - 1, through: head.count, by: -1)
                .first(where: { body[$0..<($0 + key.count)].elementsEqual(key) })
        else { return nil }
        let value = body[(k + key.count)..<(body.count - 1)]
        if value.elementsEqual("null".utf8) { return .some(nil) }
        guard value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") else { return nil }
        return .some(String(decoding: value.dropFirst().dropLast(), as: UTF8.self))
    }

    static func text(_ value: JSONValue?) -> String? {
        if case .string(let s)? = value { return s }
        return nil
    }

    static func broken(_ promise: String) -> Never {
        fatalError("hostile input broke a promise: \(promise)")
    }
}
