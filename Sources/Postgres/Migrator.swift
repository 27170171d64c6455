import Foundation

/// Applies migrations once each, in order, recording them in a table.
///
/// Each migration runs in its own transaction together with its record, so it is applied
/// entirely or not at all. A migration whose SQL changed after it was applied is an error
/// (write a new migration instead). Concurrent migrators on one database are serialised
/// by an advisory lock.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    public let table: String

    /// - Parameter table: the record table (default `choreo_migrations`); a plain identifier.
    public init(migrations: [Migration], table: String = "choreo_migrations") {
        self.migrations = migrations
        self.table = table
    }

    /// Migrations from `NNN_name.sql` files in `directory`, ordered by file name.
    public init(directory: URL, table: String = "choreo_migrations") throws {
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "sql" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw PostgresError(
                code: .configuration, message: "cannot read migrations in \(directory.path)", underlying: error)
        }
        self.init(
            migrations: try files.map { file in
                Migration(
                    id: file.deletingPathExtension().lastPathComponent,
                    sql: try String(contentsOf: file, encoding: .utf8))
            },
            table: table)
    }

    /// Applies the migrations not applied yet; returns their ids.
    /// - Throws: `PostgresError` with code `.configuration` when an applied migration changed,
    ///   or the error of the migration that failed (it is rolled back).
    @discardableResult
    public func migrate(on connection: PostgresConnection) async throws -> [String] {
        guard table.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !table.isEmpty else {
            throw PostgresError(code: .configuration, message: "migration table name must be a plain identifier")
        }
        let ids = migrations.map(\.id)
        guard Set(ids).count == ids.count else {
            throw PostgresError(code: .configuration, message: "migration ids must be unique")
        }
        let lockKey = Int64(
            bitPattern: UInt64(Migration(id: "", sql: "choreo.migrator:\(table)").checksum, radix: 16) ?? 0)
        // The lock is taken before the record table is created: two sessions running
        // `CREATE TABLE IF NOT EXISTS` at once can both try to create it and one fails
        // (unique violation on pg_type).
        try await connection.execute("SELECT pg_advisory_lock(\(lockKey))")
        do {
            try await connection.simpleQuery(
                """
                CREATE TABLE IF NOT EXISTS \(table) (
                    id text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """)
            let applied = try await appliedChecksums(on: connection)
            var done: [String] = []
            for migration in migrations {
                if let checksum = applied[migration.id] {
                    guard checksum == migration.checksum else {
                        throw PostgresError(
                            code: .configuration,
                            message:
                                "migration \(migration.id) was changed after it was applied; add a new migration instead"
                        )
                    }
                    continue
                }
                try await connection.withTransaction { tx in
                    try await tx.simpleQuery(migration.sql)
                    try await tx.execute(
                        "INSERT INTO \(unsafeSQL: table) (id, checksum) VALUES (\(migration.id), \(migration.checksum))"
                    )
                }
                done.append(migration.id)
            }
            try await connection.execute("SELECT pg_advisory_unlock(\(lockKey))")
            return done
        } catch {
            _ = try? await connection.execute("SELECT pg_advisory_unlock(\(lockKey))")
            throw error
        }
    }

    private func appliedChecksums(on connection: PostgresConnection) async throws -> [String: String] {
        var applied: [String: String] = [:]
        for row in try await connection.query("SELECT id, checksum FROM \(unsafeSQL: table)") {
            applied[try row.decode(String.self, column: 0)] = try row.decode(String.self, column: 1)
        }
        return applied
    }
}
