extension SyncEvent {
    /// Decodes one NDJSON line: the event JSON of BEHAVIOUR.md §1 plus `organizationId`.
    ///
    /// Every field of the public shape and `organizationId` must be present (`null` where allowed);
    /// `attemptCount` and `nextAttemptAt` may be left out (0 and `null`). Nothing is silently
    /// rewritten: a key that appears twice (at any depth), an unknown field and a lone surrogate escape
    /// (`\ud800`) are refused, naming the field (`summaryJson.failures[0].path` inside the summary).
    /// The decoded record is also validated (``validate(limits:)``).
    /// - Throws: ``RecordValidationError`` naming the field and the rule; field `json` for a line that
    ///   is not a JSON object or starts with a byte order mark.
    public init(jsonLine: some Collection<UInt8>, limits: RecordLimits = RecordLimits()) throws(RecordValidationError) {
        let value: JSONValue
        if jsonLine.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw RecordValidationError(
                field: "json", rule: "the line starts with a byte order mark (U+FEFF); save the file as UTF-8 without a BOM")
        }
        do {
            value = try JSONParser.parse(jsonLine, options: .strict)
        } catch {
            if error.isStrictRefusal, let field = error.pathText {
                throw RecordValidationError(field: field, rule: error.reason + " (byte \(error.offset))")
            }
            throw RecordValidationError(field: "json", rule: error.description)
        }
        guard case .object(let object) = value else {
            throw RecordValidationError(field: "json", rule: "a line must be a JSON object")
        }
        try self.init(jsonObject: object, limits: limits)
    }

    /// The keys an event line may hold.
    public static let jsonFieldNames: Set<String> = [
        "id", "organizationId", "connectorInstanceId", "connectorTargetId", "connectorType", "remoteId",
        "eventType", "externalEventRef", "sourceRevisionRef", "status", "summaryJson", "startedAt",
        "completedAt", "attemptCount", "nextAttemptAt",
    ]

    /// Decodes an event from a parsed JSON object; see ``init(jsonLine:limits:)``.
    /// - Throws: ``RecordValidationError`` for a missing, malformed or unknown field.
    public init(jsonObject object: JSONObject, limits: RecordLimits = RecordLimits()) throws(RecordValidationError) {
        var fields: [String: JSONValue] = Dictionary(minimumCapacity: object.count)
        for (k, v) in object { fields[k] = v }
        func required(_ name: String) throws(RecordValidationError) -> JSONValue {
            guard let v = fields[name] else { throw RecordValidationError(field: name, rule: "is required") }
            return v
        }
        func typeID(_ name: String, _ prefix: TypeID.Prefix, nullable: Bool = false) throws(RecordValidationError) -> TypeID? {
            let v = try required(name)
            if case .null = v, nullable { return nil }
            guard case .string(let s) = v else {
                throw RecordValidationError(field: name, rule: nullable ? "must be a string or null" : "must be a string")
            }
            do {
                return try TypeID(parsing: s, expectingPrefix: prefix)
            } catch {
                throw RecordValidationError(
                    field: name,
                    rule: error.failures.map { $0.message(prefix: prefix) }.joined(separator: "; "))
            }
        }
        func string(_ name: String) throws(RecordValidationError) -> String? {
            switch try required(name) {
            case .null: return nil
            case .string(let s): return s
            default: throw RecordValidationError(field: name, rule: "must be a string or null")
            }
        }
        func enumeration<E: RawRepresentable & CaseIterable>(_ name: String, _: E.Type) throws(RecordValidationError) -> E
        where E.RawValue == String {
            guard case .string(let s) = try required(name), let e = E(rawValue: s) else {
                let options = E.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: "|")
                throw RecordValidationError(field: name, rule: "must be one of \(options)")
            }
            return e
        }
        func time(_ name: String, nullable: Bool, optional: Bool = false) throws(RecordValidationError) -> Timestamp? {
            let v: JSONValue
            if optional, fields[name] == nil { return nil }
            v = try required(name)
            if case .null = v, nullable { return nil }
            guard case .string(let s) = v, let t = Timestamp(iso8601: s) else {
                throw RecordValidationError(
                    field: name, rule: "must be an ISO 8601 timestamp like 2026-01-02T03:04:05.678Z"
                        + (nullable ? " or null" : ""))
            }
            return t
        }
        let id = try typeID("id", .event)!
        let organizationId = try typeID("organizationId", .organization)!
        let instance = try typeID("connectorInstanceId", .connectorInstance)!
        let target = try typeID("connectorTargetId", .connectorTarget, nullable: true)
        let connectorType = try enumeration("connectorType", ConnectorType.self)
        let remoteId = try string("remoteId")
        let eventType = try enumeration("eventType", EventType.self)
        let externalEventRef = try string("externalEventRef")
        let sourceRevisionRef = try string("sourceRevisionRef")
        let status = try enumeration("status", EventStatus.self)
        let summary: JSONObject?
        switch try required("summaryJson") {
        case .null: summary = nil
        case .object(let o): summary = o
        default: throw RecordValidationError(field: "summaryJson", rule: "must be a JSON object or null")
        }
        let startedAt = try time("startedAt", nullable: false)!
        let completedAt = try time("completedAt", nullable: true)
        var attemptCount = 0
        if let v = fields["attemptCount"] {
            guard case .number(.integer(let n)) = v, n >= 0, n <= Int64(limits.maximumAttemptCount) else {
                throw RecordValidationError(
                    field: "attemptCount", rule: "must be an integer 0…\(limits.maximumAttemptCount)")
            }
            attemptCount = Int(n)
        }
        let nextAttemptAt = try time("nextAttemptAt", nullable: true, optional: true)
        // After the known fields, so that a misspelt field is first reported as the missing one.
        if let unknown = object.members.first(where: { !Self.jsonFieldNames.contains($0.key) }) {
            // Named as a path would be, so that an empty or odd key is still visible (`[""]`).
            let field = JSONParseError.pathText([unknown.key]) ?? unknown.key
            throw RecordValidationError(field: field, rule: "is not a field of an event")
        }
        self.init(
            id: id, organizationId: organizationId, connectorInstanceId: instance, connectorTargetId: target,
            connectorType: connectorType, remoteId: remoteId, eventType: eventType,
            externalEventRef: externalEventRef, sourceRevisionRef: sourceRevisionRef, status: status,
            summaryJson: summary, startedAt: startedAt, completedAt: completedAt, attemptCount: attemptCount,
            nextAttemptAt: nextAttemptAt)
        try validate(limits: limits)
    }
}
