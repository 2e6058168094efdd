import Foundation

/// The project's OpenAPI document: the seed's `GET /v1/connector-sync-events`, extended with the detail,
/// the retry, `/health` and `/openapi.yaml` routes that `syncevents serve` answers.
public enum OpenAPIDocument {
    /// The YAML text, as shipped in this module's resources.
    public static let yaml: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "connector-sync-events.openapi", withExtension: "yaml"),
            let data = try? Data(contentsOf: url)
        else { return Array("openapi: 3.1.0\n# the document was not found in the module's resources\n".utf8) }
        return Array(data)
    }()
}
