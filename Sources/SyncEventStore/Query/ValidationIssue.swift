/// A value of an extra key of a ``ValidationIssue`` (the keys zod 4 adds besides `code`,
/// `message` and `path`).
public enum IssueValue: Sendable, Equatable {
    /// A JSON string.
    case string(String)
    /// A JSON integer (zod's `minimum`, `maximum`).
    case integer(Int)
    /// A JSON boolean (zod's `inclusive`, `exact`).
    case bool(Bool)
    /// A JSON array of strings (zod's `values` of an enum).
    case strings([String])
}

/// One extra key of a ``ValidationIssue`` with its value.
public struct IssueField: Sendable, Equatable {
    /// The JSON key, e.g. `"origin"` or `"minimum"`.
    public var key: String
    /// The JSON value.
    public var value: IssueValue

    /// Creates an extra key/value pair.
    public init(_ key: String, _ value: IssueValue) {
        self.key = key
        self.value = value
    }
}

/// One problem with a request, shaped like a finalized zod 4 issue.
///
/// JSON key order is zod's own, so the bytes match the reference: ``leadingFields`` (the keys
/// zod sets before `code`, e.g. `origin`, `expected`), then `code`, then ``trailingFields``
/// (e.g. `minimum`, `inclusive`, `values`), then `path`, then `message`. Example:
/// `{"origin":"string","code":"too_small","minimum":1,"inclusive":true,"path":["q"],"message":"…"}`.
public struct ValidationIssue: Sendable, Equatable {
    /// zod's issue code: `invalid_type`, `too_small`, `too_big`, `invalid_value`,
    /// `invalid_format` or `custom`.
    public var code: String
    /// The human-readable message (zod 4 English locale, or the schema's own message).
    public var message: String
    /// The path of the offending value, e.g. `["limit"]`.
    public var path: [String]
    /// Extra keys written before `code`, in order.
    public var leadingFields: [IssueField]
    /// Extra keys written after `code` and before `path`, in order.
    public var trailingFields: [IssueField]

    /// Creates an issue; see the type's documentation for the meaning of the field lists.
    public init(
        code: String, message: String, path: [String],
        leadingFields: [IssueField] = [], trailingFields: [IssueField] = []
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.leadingFields = leadingFields
        self.trailingFields = trailingFields
    }

    /// The value of the extra key `key`, if the issue has it.
    public func field(_ key: String) -> IssueValue? {
        (leadingFields + trailingFields).first { $0.key == key }?.value
    }

    /// The issue as compact JSON, keys in zod's order.
    public func jsonBytes() -> [UInt8] {
        var out = IssueJSONWriter()
        write(to: &out)
        return out.bytes
    }

    func write(to out: inout IssueJSONWriter) {
        out.raw("{")
        var first = true
        func key(_ name: String) {
            if !first { out.raw(",") }
            first = false
            out.string(name)
            out.raw(":")
        }
        for field in leadingFields {
            key(field.key)
            out.value(field.value)
        }
        key("code")
        out.string(code)
        for field in trailingFields {
            key(field.key)
            out.value(field.value)
        }
        key("path")
        out.value(.strings(path))
        key("message")
        out.string(message)
        out.raw("}")
    }
}

/// The 400 answer to an invalid request: `{"error":"invalid_request","message":…,"details":[…]}`.
public struct InvalidRequestError: Error, Sendable, Equatable {
    /// Every problem found, in parameter order.
    public var details: [ValidationIssue]
    /// `"<path joined by .>: <first message>"`, plus `" (and N more)"` when there are N more
    /// details; `"The request was invalid."` when there are none.
    public var message: String

    /// Creates the error and computes ``message`` from `details` as the reference does.
    public init(details: [ValidationIssue]) {
        self.details = details
        self.message = Self.summary(of: details)
    }

    /// The reference's summary line for `details`.
    public static func summary(of details: [ValidationIssue]) -> String {
        guard let first = details.first else { return "The request was invalid." }
        let path = first.path.joined(separator: ".")
        let summary = path.isEmpty ? first.message : "\(path): \(first.message)"
        return details.count > 1 ? "\(summary) (and \(details.count - 1) more)" : summary
    }

    /// The response body as UTF-8 JSON, byte for byte what the reference's `JSON.stringify`
    /// wrote: keys `error`, `message`, `details`; no white space.
    public func jsonBody() -> [UInt8] {
        var out = IssueJSONWriter()
        out.raw("{")
        out.string("error")
        out.raw(":")
        out.string("invalid_request")
        out.raw(",")
        out.string("message")
        out.raw(":")
        out.string(message)
        out.raw(",")
        out.string("details")
        out.raw(":[")
        for (index, issue) in details.enumerated() {
            if index > 0 { out.raw(",") }
            issue.write(to: &out)
        }
        out.raw("]}")
        return out.bytes
    }
}

/// A minimal JSON serializer with JavaScript `JSON.stringify` string escaping.
struct IssueJSONWriter {
    var bytes: [UInt8] = []

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func value(_ value: IssueValue) {
        switch value {
        case .string(let text):
            string(text)
        case .integer(let number):
            bytes.append(contentsOf: String(number).utf8)
        case .bool(let flag):
            flag ? raw("true") : raw("false")
        case .strings(let list):
            raw("[")
            for (index, text) in list.enumerated() {
                if index > 0 { raw(",") }
                string(text)
            }
            raw("]")
        }
    }

    /// Writes `text` quoted, with `JSON.stringify` escaping.
    mutating func string(_ text: String) {
        JSONWriter.writeString(text, to: &bytes)
    }
}
