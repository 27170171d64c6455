import ChoreoTestSupport
import Foundation
import Postgres
import Testing

/// No call blocks forever: `close()` and `cancel()` end a statement the server is still
/// running or never answers, a response timeout abandons a hung connection, and connecting
/// through a black hole gives up after `connectTimeout`. The hung paths use `TCPProxy`.
@Suite("Cancel and timeouts")
struct CancelAndTimeoutTests {
    @Test("close() during a long statement ends it on the server and returns; the call fails")
    func closeCancelsARunningStatement() async throws {
        let connection = try await PostgresConnection.connect(configuration: try testConfiguration())
        let pid = connection.backendPID
        let sleeping = Task { try await connection.execute("SELECT pg_sleep(600)") }
        try await waitUntil { try await state(of: pid) == "active" }
        try await withTimeout(.seconds(20), "close() during pg_sleep") { await connection.close() }
        let error = await postgresError { _ = try await sleeping.value }
        #expect(error != nil)
        #expect(connection.isClosed)
        try await waitUntil { try await state(of: pid) == nil }
    }

    @Test("close() of a statement waiting on a row lock cancels the wait; the lock holder is unaffected")
    func closeCancelsALockWait() async throws {
        try await withScratchDatabase { database in
            try await withConnection(database) { holder in
                try await holder.simpleQuery("CREATE TABLE t (id int PRIMARY KEY, n int); INSERT INTO t VALUES (1, 0)")
                try await holder.simpleQuery("BEGIN; UPDATE t SET n = n + 1 WHERE id = 1")
                let waiter = try await PostgresConnection.connect(configuration: database)
                let pid = waiter.backendPID
                let blocked = Task { try await waiter.execute("UPDATE t SET n = n + 10 WHERE id = 1") }
                try await waitUntil { try await waitEvent(of: pid) == "transactionid" }
                try await withTimeout(.seconds(20), "close() during a lock wait") { await waiter.close() }
                #expect(await postgresError { _ = try await blocked.value } != nil)
                try await waitUntil { try await state(of: pid) == nil }
                try await holder.simpleQuery("COMMIT")
                let rows = try await holder.query("SELECT n FROM t WHERE id = 1")
                #expect(try rows[0].decode(Int.self, column: 0) == 1)
            }
        }
    }

    @Test("cancel() stops the running statement with SQLSTATE 57014 (retriable); the connection stays usable")
    func cancelKeepsTheConnection() async throws {
        try await withConnection(try testConfiguration()) { connection in
            let pid = connection.backendPID
            let sleeping = Task { try await connection.execute("SELECT pg_sleep(600)") }
            try await waitUntil { try await state(of: pid) == "active" }
            connection.cancel()
            let error = try #require(await postgresError { _ = try await sleeping.value })
            #expect(error.sqlState == .queryCanceled)
            #expect(error.isRetriable)
            #expect(!connection.isClosed)
            let rows = try await connection.query("SELECT 41 + 1")
            #expect(try rows[0].decode(Int.self, column: 0) == 42)
        }
    }

    @Test("close() of a connection whose server never answers (black hole) returns, and the server session ends")
    func closeThroughABlackHole() async throws {
        let (proxy, configuration) = try await proxied()
        let connection = try await PostgresConnection.connect(configuration: configuration)
        let pid = connection.backendPID
        proxy.mode = .blackHole
        let hung = Task { try await connection.execute("SELECT 1") }
        try await waitUntil { proxy.heldBytes > 0 }
        try await withTimeout(.seconds(20), "close() through a black hole") { await connection.close() }
        let error = try #require(await postgresError { _ = try await hung.value })
        #expect(error.code == .connectionClosed)
        #expect(error.isRetriable)
        // The proxy closed the server side after the client's: the session is gone.
        try await waitUntil { try await state(of: pid) == nil }
        await proxy.stop()
    }

    @Test("a response timeout abandons a connection whose server never answers: retriable, connection closed")
    func responseTimeout() async throws {
        var (proxy, configuration) = try await proxied()
        configuration.responseTimeout = .seconds(1)
        let connection = try await PostgresConnection.connect(configuration: configuration)
        #expect(try await connection.query("SELECT 1").count == 1)
        let pid = connection.backendPID
        proxy.mode = .blackHole
        let error = try #require(
            await postgresError {
                _ = try await withTimeout(.seconds(20), "the response timeout") {
                    try await connection.execute("SELECT 1")
                }
            })
        #expect(error.code == .connectionClosed)
        #expect(error.isRetriable)
        #expect(error.message.contains("response timeout"))
        #expect(connection.isClosed)
        await connection.close()
        try await waitUntil { try await state(of: pid) == nil }
        await proxy.stop()
    }

    @Test("connecting through a black hole fails after connectTimeout; after the heal it connects")
    func connectTimeoutThroughABlackHole() async throws {
        var (proxy, configuration) = try await proxied()
        configuration.connectTimeout = .seconds(1)
        proxy.mode = .blackHole
        let timed = configuration
        let error = try #require(
            await postgresError {
                try await withTimeout(.seconds(20), "the connect timeout") {
                    _ = try await PostgresConnection.connect(configuration: timed)
                }
            })
        #expect(error.code == .connectionFailed)
        #expect(error.isRetriable)
        proxy.mode = .pass
        try await withConnection(configuration) { connection async throws in
            #expect(try await connection.query("SELECT 1").count == 1)
        }
        await proxy.stop()
    }

    @Test("a delayed proxy still delivers, and held bytes flow again when a black hole heals")
    func proxyDelayAndHeal() async throws {
        let (proxy, configuration) = try await proxied()
        try await withConnection(configuration) { connection async throws in
            proxy.mode = .delay(.milliseconds(50))
            #expect(try await connection.query("SELECT 1").count == 1)
            proxy.mode = .blackHole
            let held = Task { try await connection.query("SELECT 7") }
            try await waitUntil { proxy.heldBytes > 0 }
            proxy.mode = .pass
            let rows = try await held.value
            #expect(try rows[0].decode(Int.self, column: 0) == 7)
        }
        await proxy.stop()
    }

    // MARK: - Helpers

    /// A proxy in front of the test server and a configuration that connects through it.
    private func proxied() async throws -> (TCPProxy, PostgresConfiguration) {
        var configuration = try testConfiguration()
        let proxy = try TCPProxy(
            upstreamHost: configuration.host ?? "127.0.0.1", upstreamPort: configuration.port ?? 5432)
        configuration.host = "127.0.0.1"
        configuration.port = proxy.port
        return (proxy, configuration)
    }

    /// `pg_stat_activity.state` of a backend, nil when it is gone.
    private func state(of pid: Int32) async throws -> String? {
        try await withConnection(try testConfiguration()) { admin in
            let rows = try await admin.query("SELECT state FROM pg_stat_activity WHERE pid = \(Int(pid))")
            return try rows.first?.decode(String?.self, column: 0)
        }
    }

    private func waitEvent(of pid: Int32) async throws -> String? {
        try await withConnection(try testConfiguration()) { admin in
            let rows = try await admin.query("SELECT wait_event FROM pg_stat_activity WHERE pid = \(Int(pid))")
            return try rows.first?.decode(String?.self, column: 0)
        }
    }
}
