import Logging
import Postgres
import Services

/// `dev up`'s own connections to every service database (as `choreo-dev`), reopened when
/// one was closed or found broken, so a database restart does not end the run: each one is
/// checked with `SELECT 1` before it is handed out, and a lost one is opened again at once
/// (not reported as unreadable on the caller's next read).
actor DevConnections {
    private let configurations: [String: PostgresConfiguration]
    private let logger: Logger
    private var open: [String: PostgresConnection] = [:]

    init(databases: [String: PostgresConfiguration], logger: Logger) {
        var configurations = databases
        for key in configurations.keys { configurations[key]?.applicationName = "choreo-dev" }
        self.configurations = configurations
        self.logger = logger
    }

    /// A live connection to every service database, by service name.
    func all() async throws -> [String: PostgresConnection] {
        for connection in open.values where !connection.isClosed {
            // A session the server ended (a restart, a terminated backend) fails here and is
            // marked closed, so it is reopened below.
            _ = try? await connection.query("SELECT 1")
        }
        for (service, configuration) in configurations where open[service]?.isClosed ?? true {
            if let stale = open.removeValue(forKey: service) { await stale.close() }
            open[service] = try await PostgresConnection.connect(configuration: configuration, logger: logger)
        }
        return open
    }

    /// A live connection to `service`'s database.
    func connection(_ service: String) async throws -> PostgresConnection {
        guard let connection = try await all()[service] else {
            throw ServiceError(code: .configuration, message: "dev up needs the \(service) service")
        }
        return connection
    }

    func closeAll() async {
        for connection in open.values { await connection.close() }
        open = [:]
    }
}
