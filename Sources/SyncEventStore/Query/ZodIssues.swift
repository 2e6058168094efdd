/// Builders for the finalized zod 4 issues the reference emits, with zod's key order and its
/// English messages.
enum ZodIssues {
    /// `z.string()` given a list: `{"expected":"string","code":"invalid_type",…}`.
    static func expectedString(_ path: String) -> ValidationIssue {
        ValidationIssue(
            code: "invalid_type", message: "Invalid input: expected string, received array", path: [path],
            leadingFields: [IssueField("expected", .string("string"))])
    }

    /// `z.coerce.number()` given NaN or ±Infinity:
    /// `{"expected":"number","code":"invalid_type","received":"NaN",…}`. zod's message names the
    /// JavaScript type of the input, which is `NaN` for NaN and `number` for infinities.
    static func notANumber(received: String, _ path: String) -> ValidationIssue {
        let typeName = received == "NaN" ? "NaN" : "number"
        return ValidationIssue(
            code: "invalid_type", message: "Invalid input: expected number, received \(typeName)",
            path: [path],
            leadingFields: [IssueField("expected", .string("number"))],
            trailingFields: [IssueField("received", .string(received))])
    }

    /// `.int()` given a fraction: `{"expected":"int","format":"safeint","code":"invalid_type",…}`.
    static func notAnInteger(_ path: String) -> ValidationIssue {
        ValidationIssue(
            code: "invalid_type", message: "Invalid input: expected int, received number", path: [path],
            leadingFields: [
                IssueField("expected", .string("int")),
                IssueField("format", .string("safeint")),
            ])
    }

    /// `.int()` given an integer beyond ±(2^53 − 1):
    /// `{"code":"too_big","maximum":9007199254740991,"note":…,"origin":"int",…}`. zod sets no
    /// `inclusive`, so its message says `<` / `>`.
    static func unsafeInteger(tooBig: Bool, _ path: String) -> ValidationIssue {
        let bound = 9_007_199_254_740_991
        return ValidationIssue(
            code: tooBig ? "too_big" : "too_small",
            message: tooBig ? "Too big: expected int to be <\(bound)" : "Too small: expected int to be >-\(bound)",
            path: [path],
            trailingFields: [
                IssueField(tooBig ? "maximum" : "minimum", .integer(tooBig ? bound : -bound)),
                IssueField("note", .string("Integers must be within the safe integer range.")),
                IssueField("origin", .string("int")),
            ])
    }

    /// `.min(n)` failing: `{"origin":…,"code":"too_small","minimum":n,"inclusive":true,…}`.
    static func tooSmall(origin: String, minimum: Int, _ path: String) -> ValidationIssue {
        ValidationIssue(
            code: "too_small", message: "Too small: expected \(origin) \(sizing(origin)) >=\(minimum)\(unit(origin))",
            path: [path],
            leadingFields: [IssueField("origin", .string(origin))],
            trailingFields: [IssueField("minimum", .integer(minimum)), IssueField("inclusive", .bool(true))])
    }

    /// `.max(n)` failing: `{"origin":…,"code":"too_big","maximum":n,"inclusive":true,…}`.
    static func tooBig(origin: String, maximum: Int, _ path: String) -> ValidationIssue {
        ValidationIssue(
            code: "too_big", message: "Too big: expected \(origin) \(sizing(origin)) <=\(maximum)\(unit(origin))",
            path: [path],
            leadingFields: [IssueField("origin", .string(origin))],
            trailingFields: [IssueField("maximum", .integer(maximum)), IssueField("inclusive", .bool(true))])
    }

    /// `.length(n, { message })` failing:
    /// `{"origin":…,"code":"too_small","minimum":n,"inclusive":true,"exact":true,…}`.
    static func exactLength(
        origin: String, tooBig: Bool, length: Int, message: String, _ path: String
    ) -> ValidationIssue {
        ValidationIssue(
            code: tooBig ? "too_big" : "too_small", message: message, path: [path],
            leadingFields: [IssueField("origin", .string(origin))],
            trailingFields: [
                IssueField(tooBig ? "maximum" : "minimum", .integer(length)),
                IssueField("inclusive", .bool(true)),
                IssueField("exact", .bool(true)),
            ])
    }

    /// `z.enum(values)` failing: `{"code":"invalid_value","values":[…],…}`.
    static func invalidOption(_ values: [String], _ path: String) -> ValidationIssue {
        let options = values.map { "\"\($0)\"" }.joined(separator: "|")
        return ValidationIssue(
            code: "invalid_value", message: "Invalid option: expected one of \(options)", path: [path],
            trailingFields: [IssueField("values", .strings(values))])
    }

    private static func sizing(_ origin: String) -> String {
        origin == "string" || origin == "array" ? "to have" : "to be"
    }

    private static func unit(_ origin: String) -> String {
        switch origin {
        case "string": return " characters"
        case "array": return " items"
        default: return ""
        }
    }
}
