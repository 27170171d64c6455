import Foundation

/// The outcome of every readiness check, rendered as the body of `GET /health/ready`.
public struct ReadinessReport: Sendable {
    /// Each check's name and result, by name.
    public let results: [(String, ReadinessCheck.Result)]

    public var ready: Bool { results.allSatisfy(\.1.ready) }

    /// `{"ready":false,"checks":{"database":{"ready":false,"detail":"…"},…}}`
    public var json: String {
        var checks: [String: [String: Any]] = [:]
        for (name, result) in results {
            var entry: [String: Any] = ["ready": result.ready]
            if let detail = result.detail { entry["detail"] = detail }
            checks[name] = entry
        }
        let object: [String: Any] = ["ready": ready, "checks": checks]
        guard
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
            let text = String(data: data, encoding: .utf8)
        else { return #"{"ready":\#(ready)}"# }
        return text
    }
}
