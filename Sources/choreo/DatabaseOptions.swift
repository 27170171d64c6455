import ArgumentParser
import Foundation
import Postgres

/// A service database: `--database-url`, then `CHOREO_<SERVICE>_DATABASE_URL`, then
/// `CHOREO_DATABASE_URL`, then the local default of `scripts/setup.sh`.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "PostgreSQL URL of the database (env CHOREO_<SERVICE>_DATABASE_URL, then CHOREO_DATABASE_URL).")
    var databaseURL: String?

    static let localDefault = "postgresql://choreo:choreo@127.0.0.1:5432/choreo"

    func url(service: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let databaseURL { return databaseURL }
        if let service, let url = environment[Self.environmentKey(service: service)] { return url }
        return environment["CHOREO_DATABASE_URL"] ?? Self.localDefault
    }

    /// `CHOREO_<SERVICE>_DATABASE_URL`, with the service name upper-cased and `-`/`.` as `_`.
    static func environmentKey(service: String) -> String {
        let name = service.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        return "CHOREO_\(name)_DATABASE_URL"
    }

    func configuration(service: String? = nil) throws -> PostgresConfiguration {
        try PostgresConfiguration(url: url(service: service))
    }
}
