import ChoreoTestSupport
import Postgres
import Testing

/// A session the server ends (`pg_terminate_backend`) is detected, reported as retriable and
/// never reused.
@Suite("Connection loss")
struct ConnectionLossTests {
    /// Ends `pid` from another session and waits until the server process has exited.
    private func terminate(_ pid: Int32) async throws {
        try await withConnection(try testConfiguration()) { killer in
            let rows = try await killer.query("SELECT pg_terminate_backend(\(pid), 5000)")
            #expect(try rows[0].decode(Bool.self, column: 0))
        }
    }

    @Test func theNextQueryThrowsARetriableConnectionClosedError() async throws {
        let victim = try await PostgresConnection.connect(configuration: try testConfiguration())
        _ = try await victim.query("SELECT 1")
        try await terminate(victim.backendPID)
        let error = try #require(await postgresError { _ = try await victim.query("SELECT 1") })
        #expect(error.code == .connectionClosed)
        #expect(error.isRetriable)
        #expect(victim.isClosed)
        // Later calls fail the same way without touching the dead socket.
        let again = try #require(await postgresError { try await victim.simpleQuery("SELECT 1") })
        #expect(again.code == .connectionClosed)
        await victim.close()
    }

    @Test func aTransactionOnATerminatedConnectionThrowsRetriably() async throws {
        let victim = try await PostgresConnection.connect(configuration: try testConfiguration())
        try await terminate(victim.backendPID)
        let error = try #require(
            await postgresError {
                try await victim.withTransaction { tx in _ = try await tx.execute("SELECT 1") }
            })
        #expect(error.code == .connectionClosed && error.isRetriable)
        #expect(victim.isClosed)
        await victim.close()
    }

    @Test func thePoolDiscardsATerminatedConnectionAndHandsOutANewOne() async throws {
        let pool = PostgresConnectionPool(configuration: try testConfiguration(), maxConnections: 1)
        let first = try await pool.withConnection { connection in connection.backendPID }
        #expect(pool.openConnections == 1)
        try await terminate(first)
        // The idle connection is checked before it is lent: the caller gets a live one.
        let (second, answer) = try await pool.withConnection { connection in
            (connection.backendPID, try await connection.query("SELECT 42")[0].decode(Int.self, column: 0))
        }
        #expect(second != first)
        #expect(answer == 42)
        #expect(pool.openConnections == 1)
        await pool.shutdown()
        #expect(pool.openConnections == 0)
    }

    @Test func thePoolDiscardsAConnectionThatBrokeWhileLent() async throws {
        let pool = PostgresConnectionPool(configuration: try testConfiguration(), maxConnections: 1)
        let error = await postgresError {
            try await pool.withConnection { connection in
                try await terminate(connection.backendPID)
                _ = try await connection.query("SELECT 1")
            }
        }
        #expect(error?.code == .connectionClosed && error?.isRetriable == true)
        #expect(pool.openConnections == 0)
        let rows = try await pool.withConnection { connection in try await connection.query("SELECT 1") }
        #expect(rows.count == 1)
        await pool.shutdown()
    }

    @Test func theListenStreamOfATerminatedConnectionEndsWithAnError() async throws {
        let listener = try await PostgresConnection.connect(configuration: try testConfiguration())
        let notifications = try await listener.listen(uniqueName("terminated"))
        try await terminate(listener.backendPID)
        let ending = try await withTimeout(.seconds(10), "the end of the stream") { () -> PostgresError? in
            do {
                for try await _ in notifications {}
                return nil
            } catch let error as PostgresError {
                return error
            }
        }
        let error = try #require(ending)
        #expect(error.code == .connectionClosed && error.isRetriable)
        #expect(listener.isClosed)
        await listener.close()
    }
}
