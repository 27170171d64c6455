import ChoreoTestSupport
import Foundation
import Postgres
import Testing

/// `Migrator`: once each, in order, recorded, atomic, safe to run concurrently.
@Suite("Migrator")
struct MigratorTests {
    private let migrations = [
        Migration(
            id: "001_create", sql: "CREATE TABLE log (step int NOT NULL, at timestamptz DEFAULT clock_timestamp())"),
        Migration(id: "002_first", sql: "INSERT INTO log (step) VALUES (2)"),
        Migration(
            id: "003_two_statements", sql: "INSERT INTO log (step) VALUES (3); ALTER TABLE log ADD COLUMN note text"),
    ]

    private func recorded(_ connection: PostgresConnection, table: String = "choreo_migrations") async throws
        -> [String]
    {
        try await connection.query("SELECT id FROM \(unsafeSQL: table) ORDER BY applied_at, id")
            .map { try $0.decode(String.self, column: 0) }
    }

    private func steps(_ connection: PostgresConnection, table: String = "log") async throws -> [Int] {
        try await connection.query("SELECT step FROM \(unsafeSQL: table) ORDER BY at, step").map {
            try $0.decode(Int.self, column: 0)
        }
    }

    @Test func appliesOnceInOrderAndRecords() async throws {
        try await withScratchDatabaseConnection { (connection: PostgresConnection) async throws in
            let applied = try await Migrator(migrations: migrations).migrate(on: connection)
            #expect(applied == ["001_create", "002_first", "003_two_statements"])
            #expect(try await recorded(connection) == applied)
            #expect(try await steps(connection) == [2, 3])
            let checksums = try await connection.query("SELECT count(DISTINCT checksum) FROM choreo_migrations")
            #expect(try checksums[0].decode(Int.self, column: 0) == 3)

            // Again: nothing to do, nothing run twice.
            #expect(try await Migrator(migrations: migrations).migrate(on: connection).isEmpty)
            #expect(try await steps(connection) == [2, 3])

            // A new migration appended later is the only one applied.
            let more = migrations + [Migration(id: "004_more", sql: "INSERT INTO log (step, note) VALUES (4, 'x')")]
            #expect(try await Migrator(migrations: more).migrate(on: connection) == ["004_more"])
            #expect(try await steps(connection) == [2, 3, 4])
        }
    }

    @Test func appliesInTheListedOrder() async throws {
        try await withScratchDatabaseConnection { connection in
            // Listed order differs from id order, and "a" needs the table "b" creates:
            // sorting by id would fail.
            let listed = [
                Migration(id: "b_create", sql: "CREATE TABLE log (step int, at timestamptz DEFAULT clock_timestamp())"),
                Migration(id: "a_insert", sql: "INSERT INTO log (step) VALUES (1)"),
            ]
            let applied = try await Migrator(migrations: listed, table: "other_migrations").migrate(on: connection)
            #expect(applied == ["b_create", "a_insert"])
            let order = try await connection.query("SELECT id FROM other_migrations ORDER BY applied_at")
            #expect(try order.map { try $0.decode(String.self, column: 0) } == ["b_create", "a_insert"])
            #expect(try await steps(connection) == [1])
        }
    }

    @Test func anEditedAppliedMigrationIsAConfigurationError() async throws {
        try await withScratchDatabaseConnection { (connection: PostgresConnection) async throws in
            try await Migrator(migrations: Array(migrations.prefix(2))).migrate(on: connection)
            var edited = migrations
            edited[1].sql = "INSERT INTO log (step) VALUES (20)"
            let error = await postgresError { try await Migrator(migrations: edited).migrate(on: connection) }
            #expect(error?.code == .configuration)
            #expect(error?.description.contains("002_first") == true)
            // Nothing after the edited one ran.
            #expect(try await recorded(connection) == ["001_create", "002_first"])
            #expect(try await steps(connection) == [2])
        }
    }

    @Test func aFailingMigrationIsRolledBackAndNotRecorded() async throws {
        try await withScratchDatabase { configuration in
            try await withConnection(configuration) { (connection: PostgresConnection) async throws in
                let failing =
                    migrations.prefix(2) + [
                        Migration(
                            id: "003_fails",
                            sql:
                                "CREATE TABLE half (x int); INSERT INTO log (step) VALUES (3); INSERT INTO missing VALUES (1)"
                        ),
                        Migration(id: "004_never", sql: "INSERT INTO log (step) VALUES (4)"),
                    ]
                let error = await postgresError {
                    try await Migrator(migrations: Array(failing)).migrate(on: connection)
                }
                #expect(error?.sqlState == .undefinedTable)
                #expect(try await recorded(connection) == ["001_create", "002_first"])
                #expect(try await steps(connection) == [2])
                let half = try await connection.query("SELECT to_regclass('half') IS NULL")
                #expect(try half[0].decode(Bool.self, column: 0))
            }
            // The advisory lock was released: another session can migrate at once.
            let fixed = migrations.prefix(2) + [Migration(id: "003_fails", sql: "INSERT INTO log (step) VALUES (30)")]
            try await withConnection(configuration) { other in
                let applied = try await withTimeout(.seconds(10), "a second migrator") {
                    try await withConnection(configuration) { fresh in
                        try await Migrator(migrations: Array(fixed)).migrate(on: fresh)
                    }
                }
                #expect(applied == ["003_fails"])
                #expect(try await steps(other) == [2, 30])
            }
        }
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        try await withScratchDatabase { configuration in
            // Several rounds, each with its own record table, so that the race on creating
            // that table is exercised too.
            for round in 0..<4 {
                let table = "migrations_\(round)"
                let log = "log_\(round)"
                let list = [
                    Migration(
                        id: "001", sql: "CREATE TABLE \(log) (step int, at timestamptz DEFAULT clock_timestamp())"),
                    Migration(id: "002", sql: "INSERT INTO \(log) (step) VALUES (2); SELECT pg_sleep(0.02)"),
                    Migration(id: "003", sql: "INSERT INTO \(log) (step) VALUES (3)"),
                ]
                let results = try await withThrowingTaskGroup(of: [String].self) { group in
                    for _ in 0..<3 {
                        group.addTask {
                            try await withConnection(configuration) { (connection: PostgresConnection) async throws in
                                try await Migrator(migrations: list, table: table).migrate(on: connection)
                            }
                        }
                    }
                    var results: [[String]] = []
                    for try await result in group { results.append(result) }
                    return results
                }
                let all = results.flatMap { $0 }
                #expect(all.sorted() == ["001", "002", "003"], "round \(round): \(results)")
                try await withConnection(configuration) { (connection: PostgresConnection) async throws in
                    #expect(try await steps(connection, table: log) == [2, 3])
                    #expect(try await recorded(connection, table: table) == ["001", "002", "003"])
                }
            }
        }
    }

    @Test func migrationsFromADirectoryAreOrderedByFileName() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("migrations"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "INSERT INTO log (step) VALUES (2)".write(
            to: directory.appendingPathComponent("002_insert.sql"), atomically: true, encoding: .utf8)
        try "CREATE TABLE log (step int, at timestamptz DEFAULT clock_timestamp())".write(
            to: directory.appendingPathComponent("001_create.sql"), atomically: true, encoding: .utf8)
        try "ignored".write(to: directory.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        let migrator = try Migrator(directory: directory)
        #expect(migrator.migrations.map(\.id) == ["001_create", "002_insert"])
        try await withScratchDatabaseConnection { (connection: PostgresConnection) async throws in
            #expect(try await migrator.migrate(on: connection) == ["001_create", "002_insert"])
            #expect(try await steps(connection) == [2])
        }
        let missing = await postgresError { _ = try Migrator(directory: directory.appendingPathComponent("nope")) }
        #expect(missing?.code == .configuration)
    }
}
