/// The validated query of `GET /v1/connector-sync-events`.
public struct ValidatedListQuery: Sendable, Equatable {
    /// The cursor, trimmed (JavaScript `trim()`), 1…255 UTF-16 code units; `nil` when absent.
    public var cursor: String?
    /// The page size, 1…100; 50 when absent.
    public var limit: Int
    /// A TypeID with prefix `cin_`, when given.
    public var connectorInstanceId: String?
    /// A TypeID with prefix `ctg_`, when given.
    public var connectorTargetId: String?
    /// One of ``ListQueryValidator/eventTypes``, when given.
    public var eventType: String?
    /// One of ``ListQueryValidator/statuses``, when given.
    public var status: String?
    /// The search text, trimmed, 1…255 UTF-16 code units; `nil` when absent.
    public var q: String?

    /// Creates a query; every parameter defaults to "not given" (and `limit` to 50).
    public init(
        cursor: String? = nil, limit: Int = ListQueryValidator.defaultLimit,
        connectorInstanceId: String? = nil, connectorTargetId: String? = nil,
        eventType: String? = nil, status: String? = nil, q: String? = nil
    ) {
        self.cursor = cursor
        self.limit = limit
        self.connectorInstanceId = connectorInstanceId
        self.connectorTargetId = connectorTargetId
        self.eventType = eventType
        self.status = status
        self.q = q
    }
}

/// Validates the query of `GET /v1/connector-sync-events` exactly as the reference did
/// (zod 4 schema `connectorSyncEventListQuerySchema`, served through Hono's query validator).
///
/// A name given once is a string; a name given more than once is a list (which every parameter
/// rejects); unknown names are ignored. Every parameter is checked and every issue reported, in
/// the order `cursor`, `limit`, `connectorInstanceId`, `connectorTargetId`, `eventType`, `status`,
/// `q`.
public enum ListQueryValidator {
    /// The page size used when `limit` is absent.
    public static let defaultLimit = 50
    /// The accepted `eventType` values, in the reference's order.
    public static let eventTypes = [
        "push", "installation", "installation_repositories", "repository", "manual_resync",
    ]
    /// The accepted `status` values, in the reference's order.
    public static let statuses = [
        "pending", "queued", "running", "completed", "failed", "partial", "ignored",
    ]

    /// Validates decoded query items; returns the query or every problem found.
    public static func validate(_ items: [QueryItem]) -> Result<ValidatedListQuery, InvalidRequestError> {
        var issues: [ValidationIssue] = []
        var query = ValidatedListQuery()
        query.cursor = boundedString(received(items, "cursor"), path: "cursor", into: &issues)
        query.limit = limit(received(items, "limit"), into: &issues) ?? defaultLimit
        query.connectorInstanceId = typeID(
            received(items, "connectorInstanceId"), prefix: "cin", path: "connectorInstanceId",
            into: &issues)
        query.connectorTargetId = typeID(
            received(items, "connectorTargetId"), prefix: "ctg", path: "connectorTargetId",
            into: &issues)
        query.eventType = oneOf(eventTypes, received(items, "eventType"), path: "eventType", into: &issues)
        query.status = oneOf(statuses, received(items, "status"), path: "status", into: &issues)
        query.q = boundedString(received(items, "q"), path: "q", into: &issues)
        return issues.isEmpty ? .success(query) : .failure(InvalidRequestError(details: issues))
    }

    /// Decodes `query` with ``URLQueryDecoding/decodeLikeHono(_:)`` (as the reference's server
    /// did) and validates it.
    public static func validate(query: String) -> Result<ValidatedListQuery, InvalidRequestError> {
        validate(URLQueryDecoding.decodeLikeHono(query))
    }

    // MARK: - What the schema receives

    /// A parameter as Hono hands it to zod: absent, one string, or a list of `count` strings.
    enum Received {
        case absent
        case single(String)
        case list(count: Int)
    }

    static func received(_ items: [QueryItem], _ name: String) -> Received {
        // Counted without collecting: every page request looks up seven names.
        var first: String?
        var count = 0
        for item in items where item.name.utf8.elementsEqual(name.utf8) {
            if count == 0 { first = item.value }
            count += 1
        }
        switch count {
        case 0: return .absent
        case 1: return .single(first!)
        default: return .list(count: count)
        }
    }

    // MARK: - Parameters

    /// `z.string().trim().min(1).max(255)`.
    static func boundedString(_ value: Received, path: String, into issues: inout [ValidationIssue]) -> String? {
        switch value {
        case .absent:
            return nil
        case .list(let count):
            issues.append(ZodIssues.expectedString(path))
            // zod's length checks also run on the list; only max(255) can fail for 2+ items.
            if count > 255 { issues.append(ZodIssues.tooBig(origin: "array", maximum: 255, path)) }
            return nil
        case .single(let raw):
            let text = JavaScriptText.trim(raw)
            let length = JavaScriptText.utf16Length(text)
            if length < 1 {
                issues.append(ZodIssues.tooSmall(origin: "string", minimum: 1, path))
            } else if length > 255 {
                issues.append(ZodIssues.tooBig(origin: "string", maximum: 255, path))
            } else {
                return text
            }
            return nil
        }
    }

    /// `z.coerce.number().int().min(1).max(100)`.
    static func limit(_ value: Received, into issues: inout [ValidationIssue]) -> Int? {
        let path = "limit"
        let number: Double
        switch value {
        case .absent: return nil
        case .list: number = .nan  // Number(["a", "b"]) reads "a,b"
        case .single(let raw): number = JavaScriptText.number(raw)
        }
        if number.isNaN {
            issues.append(ZodIssues.notANumber(received: "NaN", path))
            return nil
        }
        if number.isInfinite {
            issues.append(ZodIssues.notANumber(received: number > 0 ? "Infinity" : "-Infinity", path))
            return nil
        }
        if number.rounded(.towardZero) != number {
            issues.append(ZodIssues.notAnInteger(path))
            return nil
        }
        let before = issues.count
        let maxSafe = 9_007_199_254_740_991.0
        if number > maxSafe {
            issues.append(ZodIssues.unsafeInteger(tooBig: true, path))
        } else if number < -maxSafe {
            issues.append(ZodIssues.unsafeInteger(tooBig: false, path))
        }
        if number < 1 { issues.append(ZodIssues.tooSmall(origin: "number", minimum: 1, path)) }
        if number > 100 { issues.append(ZodIssues.tooBig(origin: "number", maximum: 100, path)) }
        return issues.count == before ? Int(number) : nil
    }

    /// `z.enum(values)`.
    static func oneOf(
        _ values: [String], _ value: Received, path: String, into issues: inout [ValidationIssue]
    ) -> String? {
        switch value {
        case .absent:
            return nil
        case .single(let text) where values.contains(where: { $0.utf8.elementsEqual(text.utf8) }):
            return text
        case .single, .list:
            issues.append(ZodIssues.invalidOption(values, path))
            return nil
        }
    }

    /// The reference's `typeId.schema(name)`: `.length(30)`, `.startsWith("<p>_")`, a base32
    /// refine on `slice(4)`, and a `TypeID.fromString` refine.
    static func typeID(
        _ value: Received, prefix: String, path: String, into issues: inout [ValidationIssue]
    ) -> String? {
        let expectedLength = prefix.utf16.count + 1 + TypeIDText.suffixLength
        func checkLength(_ length: Int, origin: String) {
            guard length != expectedLength else { return }
            let lengthMessage = "TypeID must be \(expectedLength) characters (\(prefix)_<26 char suffix>)"
            if length > expectedLength {
                issues.append(ZodIssues.exactLength(
                    origin: origin, tooBig: true, length: expectedLength, message: lengthMessage, path))
            } else if length < expectedLength {
                issues.append(ZodIssues.exactLength(
                    origin: origin, tooBig: false, length: expectedLength, message: lengthMessage, path))
            }
        }
        switch value {
        case .absent:
            return nil
        case .list(let count):
            issues.append(ZodIssues.expectedString(path))
            checkLength(count, origin: "array")  // .length() runs on the list too
            return nil
        case .single(let text):
            let before = issues.count
            let units = Array(text.utf16)
            checkLength(units.count, origin: "string")
            let fullPrefix = Array((prefix + "_").utf16)
            if !units.starts(with: fullPrefix) {
                issues.append(ValidationIssue(
                    code: "invalid_format", message: "TypeID must start with '\(prefix)_'", path: [path],
                    leadingFields: [IssueField("origin", .string("string"))],
                    trailingFields: [
                        IssueField("format", .string("starts_with")),
                        IssueField("prefix", .string(prefix + "_")),
                    ]))
            }
            let suffix = units.dropFirst(fullPrefix.count)
            if suffix.isEmpty || !suffix.allSatisfy(TypeIDText.isBase32) {
                issues.append(ValidationIssue(
                    code: "custom", message: "TypeID suffix contains invalid base32 characters", path: [path]))
            }
            if !TypeIDText.parses(units) {
                issues.append(ValidationIssue(
                    code: "custom", message: "TypeID is structurally invalid", path: [path]))
            }
            return issues.count == before ? text : nil
        }
    }
}

/// TypeID text rules of the reference's `typeid-js` (`TypeID.fromString` without a prefix).
enum TypeIDText {
    static let suffixLength = 26

    /// Whether a UTF-16 unit is in `0123456789abcdefghjkmnpqrstvwxyz`.
    static func isBase32(_ unit: UInt16) -> Bool {
        switch unit {
        case 0x30...0x39, 0x61...0x68, 0x6A, 0x6B, 0x6D, 0x6E, 0x70...0x74, 0x76...0x7A: return true
        default: return false
        }
    }

    /// `TypeID.fromString(text)` succeeds: split at the last `_` (none: empty prefix), prefix of
    /// at most 63 units of `[a-z_]` starting and ending with a letter (or empty without `_`),
    /// suffix of 26 base32 units whose first is `0`…`7`.
    static func parses(_ units: [UInt16]) -> Bool {
        let underscore = UInt16(UInt8(ascii: "_"))
        let prefix: ArraySlice<UInt16>
        let suffix: ArraySlice<UInt16>
        if let last = units.lastIndex(of: underscore) {
            prefix = units[..<last]
            suffix = units[(last + 1)...]
            if prefix.isEmpty { return false }
        } else {
            prefix = []
            suffix = units[...]
        }
        if suffix.isEmpty || prefix.count > 63 { return false }
        for (offset, unit) in prefix.enumerated() {
            let isLetter = unit >= 0x61 && unit <= 0x7A
            if (offset == 0 || offset == prefix.count - 1) && !isLetter { return false }
            if !isLetter && unit != underscore { return false }
        }
        guard suffix.count == suffixLength, let first = suffix.first, first <= 0x37 else { return false }
        return suffix.allSatisfy(isBase32)
    }
}
