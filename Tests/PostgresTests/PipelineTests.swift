import ChoreoTestSupport
import Postgres
import Testing

/// `pipeline(_:)` / `syncPipeline()`: libpq pipeline mode against the server.
@Suite("Pipelined statements")
struct PipelineTests {
    private func withItemsTable(_ body: (PostgresConnection, PostgresConfiguration) async throws -> Void) async throws {
        try await withScratchDatabase { configuration in
            try await withConnection(configuration) { connection in
                try await connection.simpleQuery("CREATE TABLE items (id int PRIMARY KEY, note text NOT NULL)")
                try await body(connection, configuration)
            }
        }
    }

    private func ids(_ connection: PostgresConnection) async throws -> [Int] {
        try await connection.query("SELECT id FROM items ORDER BY id").map { try $0.decode(Int.self, column: 0) }
    }

    @Test func pipelinedWritesAreAppliedInOrderAndSeenByTheNextQuery() async throws {
        try await withItemsTable { connection, configuration in
            // More than one pipeline's depth, so the connection also syncs by itself.
            let count = PostgresConnection.pipelineDepth * 2 + 10
            try await connection.withTransaction { tx in
                for id in 1...count {
                    try await tx.pipeline("INSERT INTO items VALUES (\(id), \("note \(id)"))")
                }
                try await tx.pipeline("UPDATE items SET note = \("last") WHERE id = \(count)")
                // A query after pipelined writes sees them.
                let last = try await tx.query("SELECT note FROM items WHERE id = \(count)").first?.decode(
                    String.self, column: 0)
                #expect(last == "last")
            }
            let seen = try await withConnection(configuration) { other in try await ids(other) }
            #expect(seen == Array(1...count))
        }
    }

    @Test func aFailingPipelinedStatementIsReportedWithItsSequenceAndRollsTheTransactionBack() async throws {
        try await withItemsTable { connection, configuration in
            var failing = 0
            let error = await postgresError {
                try await connection.withTransaction { tx in
                    try await tx.pipeline("INSERT INTO items VALUES (\(1), \("one"))")
                    failing = try await tx.pipeline("INSERT INTO items VALUES (\(1), \("duplicate"))")
                    try await tx.pipeline("INSERT INTO items VALUES (\(2), \("after the failure"))")
                }
            }
            #expect(error?.isUniqueViolation == true)
            #expect(error?.pipelineSequence == failing)
            #expect(try await ids(connection).isEmpty)
            // The connection is usable afterwards, in and out of pipeline mode.
            try await connection.pipeline("INSERT INTO items VALUES (\(5), \("five"))")
            try await connection.syncPipeline()
            let seen = try await withConnection(configuration) { other in try await ids(other) }
            #expect(seen == [5])
        }
    }

    @Test func aPipelineErrorSurfacesAtTheNextSynchronousCall() async throws {
        try await withItemsTable { connection, _ in
            try await connection.simpleQuery("BEGIN")
            let failing = try await connection.pipeline("INSERT INTO items VALUES (\(1), NULL)")
            let error = await postgresError { _ = try await connection.query("SELECT count(*) FROM items") }
            #expect(error?.sqlState == .notNullViolation)
            #expect(error?.pipelineSequence == failing)
            try await connection.simpleQuery("ROLLBACK")
            #expect(try await ids(connection).isEmpty)
        }
    }

    @Test func aStatementThatCannotBePreparedFailsAndIsNotCached() async throws {
        try await withItemsTable { connection, _ in
            let bad: PostgresQuery = "INSERT INTO no_such_table VALUES (\(1))"
            for _ in 0..<2 {
                let error = await postgresError {
                    try await connection.pipeline(bad)
                    try await connection.syncPipeline()
                }
                #expect(error?.sqlState == .undefinedTable)
            }
            try await connection.simpleQuery("CREATE TABLE no_such_table (id int)")
            try await connection.pipeline(bad)
            try await connection.syncPipeline()
            let count = try await connection.query("SELECT count(*) FROM no_such_table").first?.decode(
                Int.self, column: 0)
            #expect(count == 1)
        }
    }

    @Test func aStatementFirstPreparedAfterAFailureInTheSamePipelineIsPreparedAgainLater() async throws {
        try await withItemsTable { connection, configuration in
            try await connection.pipeline("INSERT INTO items VALUES (\(1), \("one"))")
            try await connection.syncPipeline()
            // The duplicate fails; the server then skips everything up to the sync, including
            // the preparation of the statement sent after it (a SQL text never seen before).
            let error = await postgresError {
                try await connection.withTransaction { tx in
                    try await tx.pipeline("INSERT INTO items VALUES (\(1), \("duplicate"))")
                    try await tx.pipeline("INSERT INTO items (note, id) VALUES (\("two"), \(2))")
                }
            }
            #expect(error?.isUniqueViolation == true)
            // The same text again, pipelined and not: the connection must not use a
            // statement name the server never prepared.
            try await connection.withTransaction { tx in
                try await tx.pipeline("INSERT INTO items (note, id) VALUES (\("two"), \(2))")
                try await tx.execute("INSERT INTO items (note, id) VALUES (\("three"), \(3))")
            }
            let seen = try await withConnection(configuration) { other in try await ids(other) }
            #expect(seen == [1, 2, 3])
        }
    }

    @Test func aPreparedStatementGoneStaleInATransactionFailsRetriablyAndTheRedoWorks() async throws {
        try await withItemsTable { connection, configuration in
            let select: PostgresQuery = "SELECT * FROM items WHERE id > \(0)"
            _ = try await connection.query(select)
            // Another session changes the table's shape: the cached plan's result type is stale.
            try await withConnection(configuration) { other in
                try await other.simpleQuery("ALTER TABLE items ADD COLUMN extra int")
            }
            let error = await postgresError {
                try await connection.withTransaction { tx in _ = try await tx.query(select) }
            }
            #expect(error?.isRetriable == true)
            let columns = try await connection.withTransaction { tx in try await tx.query(select).columnNames }
            #expect(columns == ["id", "note", "extra"])
            // Outside a transaction the stale statement is replaced at once.
            try await withConnection(configuration) { other in
                try await other.simpleQuery("ALTER TABLE items DROP COLUMN extra")
            }
            #expect(try await connection.query(select).columnNames == ["id", "note"])
        }
    }

    @Test func aPipelinedStatementWhosePreparedStatementVanishedFailsRetriablyAndTheRedoWorks() async throws {
        try await withItemsTable { connection, configuration in
            let insert: PostgresQuery = "INSERT INTO items VALUES (\(1), \("one"))"
            try await connection.pipeline(insert)
            try await connection.syncPipeline()
            try await connection.simpleQuery("DELETE FROM items")
            // The server forgets the statement behind the connection's back.
            try await connection.simpleQuery("DEALLOCATE ALL")
            let error = await postgresError {
                try await connection.withTransaction { tx in _ = try await tx.pipeline(insert) }
            }
            #expect(error?.sqlState?.rawValue == "26000")
            #expect(error?.isRetriable == true)
            try await connection.withTransaction { tx in _ = try await tx.pipeline(insert) }
            let seen = try await withConnection(configuration) { other in try await ids(other) }
            #expect(seen == [1])
        }
    }
}
