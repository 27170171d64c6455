import ArgumentParser
import Foundation
import Postgres
import Services

/// A database: `--database-url`; for a service, then as `ServiceDatabase` resolves it
/// (`CHOREO_<SERVICE>_DATABASE_URL`, then `CHOREO_DATABASE_URL` with the database
/// `choreo_<service>`); otherwise `CHOREO_DATABASE_URL`, then the local default of
/// `scripts/setup.sh`.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "PostgreSQL URL of the database (env CHOREO_<SERVICE>_DATABASE_URL, then CHOREO_DATABASE_URL with the database choreo_<service>)."
    )
    var databaseURL: String?

    static let localDefault = ServiceDatabase.localServer

    /// The URL given or configured, for commands that take a server rather than a service.
    func url(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        databaseURL ?? environment["CHOREO_DATABASE_URL"] ?? Self.localDefault
    }

    func configuration(service: String? = nil) throws -> PostgresConfiguration {
        guard let service else { return try PostgresConfiguration(url: url()) }
        return try ServiceDatabase.configuration(service: service, explicitURL: databaseURL)
    }
}
