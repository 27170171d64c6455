import Foundation
import Yams

/// `docker-compose.yml` read as plain data, for structure tests (no Docker engine here).
struct ComposeFile {
    struct Service {
        var name: String
        var image: String?
        var builds: Bool
        var command: [String]
        var environment: [String: String]
        var dependsOn: [String: String]
        var containerName: String?
        var ports: [String]
        var volumes: [String]
    }

    var services: [String: Service]

    init(url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any],
            let services = root["services"] as? [String: Any]
        else { throw Malformed(description: "\(url.lastPathComponent): no services mapping") }
        var parsed: [String: Service] = [:]
        for (name, value) in services {
            guard let body = value as? [String: Any] else {
                throw Malformed(description: "\(url.lastPathComponent): services.\(name) is not a mapping")
            }
            parsed[name] = Service(
                name: name,
                image: body["image"] as? String,
                builds: body["build"] != nil,
                command: Self.words(body["command"]),
                environment: Self.environment(body["environment"]),
                dependsOn: Self.dependsOn(body["depends_on"]),
                containerName: body["container_name"] as? String,
                ports: (body["ports"] as? [Any])?.map { "\($0)" } ?? [],
                volumes: (body["volumes"] as? [Any])?.map { "\($0)" } ?? []
            )
        }
        self.services = parsed
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// `command: [a, b]` or `command: a b`.
    private static func words(_ value: Any?) -> [String] {
        if let list = value as? [Any] { return list.map { "\($0)" } }
        if let text = value as? String { return text.split(separator: " ").map(String.init) }
        return []
    }

    /// `environment:` as a mapping or as `KEY=value` lines.
    private static func environment(_ value: Any?) -> [String: String] {
        if let map = value as? [String: Any] { return map.mapValues { "\($0)" } }
        var result: [String: String] = [:]
        for line in (value as? [Any]) ?? [] {
            let text = "\(line)"
            guard let equals = text.firstIndex(of: "=") else { continue }
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return result
    }

    /// `depends_on:` as a list (condition `service_started`) or a mapping with conditions.
    private static func dependsOn(_ value: Any?) -> [String: String] {
        if let list = value as? [Any] {
            return Dictionary(uniqueKeysWithValues: list.map { ("\($0)", "service_started") })
        }
        guard let map = value as? [String: Any] else { return [:] }
        return map.mapValues { (($0 as? [String: Any])?["condition"] as? String) ?? "service_started" }
    }
}
