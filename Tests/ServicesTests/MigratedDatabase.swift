import ChoreoTestSupport
import Postgres

/// Runs `body` in a transaction on a scratch database migrated with `migrations`; `body`
/// also gets the database, for a second connection.
func withMigratedDatabase(
    _ migrations: [Migration], _ body: (PostgresConnection, PostgresConfiguration) async throws -> Void
) async throws {
    try await withScratchDatabase { database in
        try await PostgresConnection.withConnection(configuration: database) { connection in
            _ = try await Migrator(migrations: migrations).migrate(on: connection)
            try await connection.withTransaction { try await body($0, database) }
        }
    }
}
