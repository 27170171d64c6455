import ChoreoTestSupport
import Postgres

/// Runs `body` with a connection to a scratch database that has `migrations` applied (a
/// service's tables, for store tests), and closes the connection.
func withMigratedDatabase(
    _ migrations: [Migration], _ body: (PostgresConnection) async throws -> Void
) async throws {
    try await withScratchDatabase { database in
        let connection = try await PostgresConnection.connect(configuration: database)
        do {
            _ = try await Migrator(migrations: migrations).migrate(on: connection)
            try await body(connection)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }
}
