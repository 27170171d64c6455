import Foundation
import Logging
import Postgres

/// Where a service's own database is, and making sure it exists.
///
/// Resolution: `CHOREO_<SERVICE>_DATABASE_URL`; else `CHOREO_DATABASE_URL` with its database
/// name replaced by `choreo_<service>`; else
/// `postgresql://choreo:choreo@127.0.0.1:5432/choreo_<service>`. Every connection reports
/// `application_name` `choreo-<service>`, so `pg_stat_activity` shows who is connected where.
public enum ServiceDatabase {
    public static let localServer = "postgresql://choreo:choreo@127.0.0.1:5432/choreo"

    /// `CHOREO_<SERVICE>_DATABASE_URL`, with the service name upper-cased and `-`/`.` as `_`.
    public static func environmentKey(service: String) -> String {
        let name = service.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        return "CHOREO_\(name)_DATABASE_URL"
    }

    /// `choreo_<service>` (or `<prefix><service>`) with `-` and `.` as `_`.
    public static func defaultName(service: String, prefix: String = "choreo_") -> String {
        prefix + service.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }

    /// The configuration of `service`'s database.
    /// - Parameter explicitURL: a `--database-url` flag, which wins over the environment.
    /// - Throws: `PostgresError.configuration` for a malformed URL (never showing a password).
    public static func configuration(
        service: String, explicitURL: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> PostgresConfiguration {
        var configuration: PostgresConfiguration
        if let url = explicitURL ?? environment[environmentKey(service: service)] {
            configuration = try PostgresConfiguration(url: url)
        } else {
            configuration = try PostgresConfiguration(url: environment["CHOREO_DATABASE_URL"] ?? localServer)
            configuration.database = defaultName(service: service)
        }
        configuration.applicationName = "choreo-\(service)"
        return configuration
    }

    /// Creates the database of `configuration` when it does not exist and the role may
    /// (development and tests), through the server's `postgres` maintenance database with
    /// `application_name` `choreo-setup`. Does nothing when it exists.
    /// - Throws: `ServiceError.database` when it is missing and cannot be created.
    public static func createIfMissing(_ configuration: PostgresConfiguration, logger: Logger) async throws {
        guard configuration.database != nil else { return }
        if let probe = try? await PostgresConnection.connect(configuration: configuration, logger: logger) {
            await probe.close()
            return
        }
        try await withMaintenance(of: configuration, logger: logger) { connection, name in
            do {
                let rows = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)")
                if rows.isEmpty {
                    try await connection.simpleQuery("CREATE DATABASE \"\(name)\"")
                    logger.info("created database", metadata: ["database": "\(name)"])
                }
            } catch let error as PostgresError where error.sqlState == SQLState(rawValue: "42P04") {
                // Another process created it first.
            }
        }
    }

    /// Drops the database of `configuration` (ending its sessions) and creates it empty: a
    /// benchmark's scratch databases, so that no earlier run's rows weigh on its figures.
    /// Never call it on a database whose data matters.
    /// - Throws: `ServiceError.database` when it cannot be dropped or created.
    public static func recreate(_ configuration: PostgresConfiguration, logger: Logger) async throws {
        try await withMaintenance(of: configuration, logger: logger) { connection, name in
            try await connection.simpleQuery("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
            try await connection.simpleQuery("CREATE DATABASE \"\(name)\"")
            logger.info("created an empty database", metadata: ["database": "\(name)"])
        }
    }

    /// Runs `body` on a connection to the server's `postgres` maintenance database, given the
    /// database name of `configuration`, which must be `[A-Za-z0-9_]`, at most 63 characters
    /// (it is spliced into `CREATE`/`DROP DATABASE`, which take no parameters).
    private static func withMaintenance(
        of configuration: PostgresConfiguration, logger: Logger,
        _ body: (PostgresConnection, String) async throws -> Void
    ) async throws {
        guard let name = configuration.database else { return }
        guard !name.isEmpty, name.count <= 63,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else {
            throw ServiceError(
                code: .database,
                message: "cannot create database '\(name.prefix(63))': only [A-Za-z0-9_] names are created")
        }
        var maintenance = configuration
        maintenance.database = "postgres"
        maintenance.applicationName = "choreo-setup"
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: maintenance, logger: logger)
        } catch {
            throw ServiceError(
                code: .database, message: "database \(name) is not reachable and cannot be created: \(error)",
                isRetriable: true)
        }
        do {
            try await body(connection, name)
        } catch let error as ServiceError {
            await connection.close()
            throw error
        } catch {
            await connection.close()
            throw ServiceError(code: .database, message: "cannot create database \(name): \(error)")
        }
        await connection.close()
    }
}
