extension ListQueryValidator {
    /// Validates one TypeID parameter outside the query string, such as the `{id}` of
    /// `GET /v1/connector-sync-events/{id}`, with the four checks of a TypeID parameter (BEHAVIOUR.md §5).
    ///
    /// ```swift
    /// switch ListQueryValidator.validateID("cse_123", prefix: .event, path: "connectorSyncEventId") {
    /// case .success(let id): print(id)
    /// case .failure(let error): print(error.message)  // "connectorSyncEventId: TypeID must be 30 characters …"
    /// }
    /// ```
    /// - Returns: the parsed id, or an ``InvalidRequestError`` whose details all have the path `[path]`.
    public static func validateID(
        _ text: String, prefix: TypeID.Prefix, path: String
    ) -> Result<TypeID, InvalidRequestError> {
        var issues: [ValidationIssue] = []
        if let valid = typeID(.single(text), prefix: prefix.rawValue, path: path, into: &issues),
            let id = TypeID.parse(valid, prefix: prefix)
        {
            return .success(id)
        }
        if issues.isEmpty {
            issues.append(ValidationIssue(code: "custom", message: "TypeID is structurally invalid", path: [path]))
        }
        return .failure(InvalidRequestError(details: issues))
    }
}
