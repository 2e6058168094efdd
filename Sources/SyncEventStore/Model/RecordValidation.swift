/// Why a record was refused: the field and the rule it broke. Nothing is written when a record is refused.
public struct RecordValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field, named as in the JSON (`connectorTargetId`, `summaryJson`, …).
    public let field: String
    /// The rule the value broke, e.g. `length 1–255 UTF-16 units`.
    public let rule: String
    /// Where the record stood in a batch (0-based), or `nil` for a single record.
    public var index: Int?

    /// Creates an error for `field` breaking `rule`.
    public init(field: String, rule: String, index: Int? = nil) {
        self.field = field
        self.rule = rule
        self.index = index
    }

    /// `record 3: field summaryJson: must be an object of at most 65536 bytes`.
    public var description: String {
        (index.map { "record \($0): " } ?? "") + "field \(field): \(rule)"
    }
}

/// The limits a record must keep. The defaults are those of BEHAVIOUR.md §1.
public struct RecordLimits: Sendable, Equatable {
    /// The largest `summaryJson`, in bytes of its compact JSON. Default 64 KiB.
    public var maximumSummaryBytes: Int = 64 * 1024
    /// The largest `attemptCount`. Default 1,000,000.
    public var maximumAttemptCount: Int = 1_000_000

    /// The default limits.
    public init() {}
}

extension SyncEvent {
    /// Checks every rule a record must keep before it is written.
    /// - Throws: ``RecordValidationError`` for the first broken rule.
    public func validate(limits: RecordLimits = RecordLimits()) throws(RecordValidationError) {
        func prefix(_ id: TypeID?, _ expected: TypeID.Prefix, _ field: String) throws(RecordValidationError) {
            if let id, id.prefix != expected {
                throw RecordValidationError(field: field, rule: "must be a TypeID with prefix '\(expected.rawValue)_'")
            }
        }
        try prefix(id, .event, "id")
        try prefix(organizationId, .organization, "organizationId")
        try prefix(connectorInstanceId, .connectorInstance, "connectorInstanceId")
        try prefix(connectorTargetId, .connectorTarget, "connectorTargetId")
        func length(_ s: String?, _ field: String) throws(RecordValidationError) {
            guard let s else { return }
            let n = s.utf16.count
            if n < 1 || n > 255 {
                throw RecordValidationError(field: field, rule: "length must be 1–255 UTF-16 units, is \(n)")
            }
        }
        try length(remoteId, "remoteId")
        try length(externalEventRef, "externalEventRef")
        try length(sourceRevisionRef, "sourceRevisionRef")
        if let summaryJson {
            try SyncEvent.checkStorable(summaryJson)
            var out: [UInt8] = []
            JSONWriter.write(.object(summaryJson), to: &out)
            if out.count > limits.maximumSummaryBytes {
                throw RecordValidationError(
                    field: "summaryJson",
                    rule: "must be at most \(limits.maximumSummaryBytes) bytes of JSON, is \(out.count)")
            }
        }
        func range(_ t: Timestamp?, _ field: String) throws(RecordValidationError) {
            if let t, !t.isInRecordRange {
                throw RecordValidationError(field: field, rule: "must lie in the years 0001–9999")
            }
        }
        try range(startedAt, "startedAt")
        try range(completedAt, "completedAt")
        try range(nextAttemptAt, "nextAttemptAt")
        if let completedAt, completedAt < startedAt {
            throw RecordValidationError(field: "completedAt", rule: "must not be before startedAt")
        }
        if attemptCount < 0 || attemptCount > limits.maximumAttemptCount {
            throw RecordValidationError(
                field: "attemptCount", rule: "must be an integer 0…\(limits.maximumAttemptCount)")
        }
    }
}

extension SyncEvent {
    /// Deepest nesting a `summaryJson` may have: the object itself is level 0, and the store's JSON
    /// parser (``JSONParser/maximumDepth``) reads values down to level 255.
    public static let maximumSummaryDepth = JSONParser.maximumDepth - 1

    /// Checks that `summary` can be written as JSON and read back: every number finite, nesting at
    /// most ``maximumSummaryDepth`` levels. Iterative, so a very deep value cannot exhaust the stack.
    static func checkStorable(_ summary: JSONObject) throws(RecordValidationError) {
        var stack: [(value: JSONValue, depth: Int)] = [(.object(summary), 0)]
        while let (value, depth) = stack.popLast() {
            if depth > maximumSummaryDepth {
                throw RecordValidationError(
                    field: "summaryJson", rule: "must nest at most \(maximumSummaryDepth) levels deep")
            }
            switch value {
            case .number(.double(let d)) where !d.isFinite:
                throw RecordValidationError(
                    field: "summaryJson", rule: "must hold only finite numbers (JSON has no NaN or Infinity), has \(d)")
            case .array(let items):
                for item in items { stack.append((item, depth + 1)) }
            case .object(let object):
                for (_, item) in object { stack.append((item, depth + 1)) }
            default: break
            }
        }
    }
}
