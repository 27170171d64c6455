import ChoreoTestSupport
import Postgres
import Testing

/// `withTransaction` and `withSavepoint` against the server.
@Suite("Transactions and savepoints")
struct TransactionTests {
    struct BodyError: Error, Equatable {
        var marker: Int
    }

    private func ids(_ connection: PostgresConnection) async throws -> [Int] {
        try await connection.query("SELECT id FROM items ORDER BY id").map { try $0.decode(Int.self, column: 0) }
    }

    private func withItemsTable(_ body: (PostgresConnection, PostgresConfiguration) async throws -> Void) async throws {
        try await withScratchDatabase { configuration in
            try await withConnection(configuration) { connection in
                try await connection.simpleQuery("CREATE TABLE items (id int PRIMARY KEY, note text)")
                try await body(connection, configuration)
            }
        }
    }

    @Test func commitsWhenTheBodyReturns() async throws {
        try await withItemsTable { connection, configuration in
            let value = try await connection.withTransaction { tx in
                try await tx.execute("INSERT INTO items VALUES (\(1), \("one"))")
                try await tx.execute("INSERT INTO items VALUES (\(2), \("two"))")
                return "done"
            }
            #expect(value == "done")
            // Visible to another session: committed.
            let seen = try await withConnection(configuration) { other in try await ids(other) }
            #expect(seen == [1, 2])
        }
    }

    @Test func rollsBackAndRethrowsTheOriginalErrorWhenTheBodyThrows() async throws {
        try await withItemsTable { connection, configuration in
            await #expect(throws: BodyError(marker: 7)) {
                try await connection.withTransaction { tx in
                    try await tx.execute("INSERT INTO items VALUES (\(1), \("one"))")
                    throw BodyError(marker: 7)
                }
            }
            #expect(try await ids(connection).isEmpty)
            // The session is out of the transaction: an autocommit write is visible elsewhere at once.
            try await connection.execute("INSERT INTO items VALUES (\(3), NULL)")
            let seen = try await withConnection(configuration) { other in try await ids(other) }
            #expect(seen == [3])
        }
    }

    @Test func aFailedStatementWhoseErrorWasSwallowedFailsAtCommit() async throws {
        try await withItemsTable { connection, _ in
            let error = await postgresError {
                try await connection.withTransaction { tx in
                    try await tx.execute("INSERT INTO items VALUES (\(1), \("kept?"))")
                    do {
                        _ = try await tx.execute("INSERT INTO items VALUES (\(1), \("duplicate"))")
                    } catch {
                        // Swallowed on purpose: the server has aborted the transaction anyway.
                    }
                }
            }
            let thrown = try #require(error)
            #expect(thrown.code == .server)
            #expect(try await ids(connection).isEmpty)
            // The connection is usable afterwards.
            try await connection.execute("INSERT INTO items VALUES (\(2), NULL)")
            #expect(try await ids(connection) == [2])
        }
    }

    @Test func savepointRollbackKeepsTheOuterTransactionsEarlierAndLaterWrites() async throws {
        try await withItemsTable { connection, _ in
            try await connection.withTransaction { tx in
                try await tx.execute("INSERT INTO items VALUES (\(1), \("before"))")
                await #expect(throws: BodyError(marker: 1)) {
                    try await tx.withSavepoint { sp in
                        try await sp.execute("INSERT INTO items VALUES (\(2), \("inside"))")
                        throw BodyError(marker: 1)
                    }
                }
                // A server error inside a savepoint leaves the outer transaction usable too.
                let error = await postgresError {
                    try await tx.withSavepoint { sp in
                        _ = try await sp.execute("INSERT INTO items VALUES (\(1), \("duplicate"))")
                    }
                }
                #expect(error?.isUniqueViolation == true)
                try await tx.execute("INSERT INTO items VALUES (\(3), \("after"))")
            }
            #expect(try await ids(connection) == [1, 3])
        }
    }

    @Test func nestedSavepoints() async throws {
        try await withItemsTable { connection, _ in
            try await connection.withTransaction { tx in
                try await tx.execute("INSERT INTO items VALUES (\(1), NULL)")
                let inner = try await tx.withSavepoint { outer in
                    try await outer.execute("INSERT INTO items VALUES (\(2), NULL)")
                    await #expect(throws: BodyError(marker: 3)) {
                        try await outer.withSavepoint { innermost in
                            try await innermost.execute("INSERT INTO items VALUES (\(3), NULL)")
                            throw BodyError(marker: 3)
                        }
                    }
                    try await outer.execute("INSERT INTO items VALUES (\(4), NULL)")
                    return try await outer.withSavepoint { innermost in
                        try await innermost.execute("INSERT INTO items VALUES (\(5), NULL)")
                        return 5
                    }
                }
                #expect(inner == 5)
                // A released inner savepoint is undone with the savepoint around it.
                await #expect(throws: BodyError(marker: 6)) {
                    try await tx.withSavepoint { outer in
                        try await outer.execute("INSERT INTO items VALUES (\(6), NULL)")
                        try await outer.withSavepoint { innermost in
                            try await innermost.execute("INSERT INTO items VALUES (\(7), NULL)")
                        }
                        throw BodyError(marker: 6)
                    }
                }
            }
            #expect(try await ids(connection) == [1, 2, 4, 5])
        }
    }
}
