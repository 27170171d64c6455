import Logging
import Postgres
import Services

/// `dev up`'s own connections to every service database (as `choreo-dev`), reopened when
/// one was closed or found broken, so a database restart does not end the run.
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
