import Foundation

/// `scripts/docker/init-databases.sql` read for structure tests: the roles, the databases
/// with their owners, and the databases whose CONNECT is revoked from PUBLIC.
struct InitDatabasesScript {
    var passwords: [String: String] = [:]
    var owners: [String: String] = [:]
    var revoked: Set<String> = []

    init(url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.hasPrefix("--") else { continue }
            if let match = line.wholeMatch(of: /CREATE ROLE (\w+) LOGIN PASSWORD '(\w+)';/) {
                passwords[String(match.1)] = String(match.2)
            } else if let match = line.wholeMatch(of: /CREATE DATABASE (\w+) OWNER (\w+);/) {
                owners[String(match.1)] = String(match.2)
            } else if let match = line.wholeMatch(of: /REVOKE CONNECT, TEMPORARY ON DATABASE (\w+) FROM PUBLIC;/) {
                revoked.insert(String(match.1))
            } else if !line.isEmpty {
                throw ComposeFile.Malformed(description: "init-databases.sql: unexpected statement: \(line)")
            }
        }
    }
}
