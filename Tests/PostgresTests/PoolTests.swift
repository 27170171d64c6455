import ChoreoTestSupport
import Postgres
import Synchronization
import Testing

/// `PostgresConnectionPool` bounds and reuses connections.
@Suite("Connection pool")
struct PoolTests {
    @Test func maxConnectionsBoundsOpenConnectionsUnderConcurrentTasks() async throws {
        var configuration = try testConfiguration()
        configuration.applicationName = uniqueName("pool")
        let applicationName = configuration.applicationName
        let pool = PostgresConnectionPool(configuration: configuration, maxConnections: 3)
        let tracker = ConcurrencyTracker()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<10 {
                group.addTask {
                    try await pool.withConnection { connection in
                        tracker.enter()
                        defer { tracker.leave() }
                        // A pool that serialises its bodies never lets a second one in: wait for it
                        // (an event, not a timing window the tasks may miss on a loaded machine).
                        try await waitUntil { tracker.maxConcurrent >= 2 }
                        // Sessions the server sees for this pool, while this one holds a connection.
                        let rows = try await connection.query(
                            "SELECT count(*)::int FROM pg_stat_activity WHERE application_name = \(applicationName)")
                        let sessions = try rows[0].decode(Int.self, column: 0)
                        tracker.observeServerSessions(sessions)
                        #expect(pool.openConnections <= 3)
                        _ = try await connection.query("SELECT pg_sleep(0.05)")
                        return task
                    }
                }
            }
            var done: [Int] = []
            for try await task in group { done.append(task) }
            return done
        }
        #expect(results.sorted() == Array(0..<10))
        let observed = tracker.maxConcurrent
        #expect(observed <= 3)
        #expect(observed >= 2, "the tasks should have overlapped")
        #expect(tracker.maxServerSessions <= 3)
        #expect(pool.openConnections <= 3)
        await pool.shutdown()
        #expect(pool.openConnections == 0)
        let error = await postgresError { try await pool.withConnection { _ in } }
        #expect(error?.code == .connectionClosed)
    }

    @Test func connectionsAreReusedAndOneLeftInATransactionIsDiscarded() async throws {
        let pool = PostgresConnectionPool(configuration: try testConfiguration(), maxConnections: 2)
        let first = try await pool.withConnection { $0.backendPID }
        let again = try await pool.withConnection { $0.backendPID }
        #expect(first == again)
        try await pool.withConnection { connection in try await connection.simpleQuery("BEGIN") }
        #expect(pool.openConnections == 0)
        let fresh = try await pool.withConnection { $0.backendPID }
        #expect(fresh != first)
        let value = try await pool.withTransaction { tx in
            try await tx.query("SELECT \("in a transaction")::text")[0].decode(String.self, column: 0)
        }
        #expect(value == "in a transaction")
        await pool.shutdown()
    }

    @Test func aFailedConnectFreesItsSlot() async throws {
        var configuration = try testConfiguration()
        configuration.database = "choreo_no_such_database"
        let pool = PostgresConnectionPool(configuration: configuration, maxConnections: 1)
        for _ in 0..<2 {
            let error = await postgresError { try await pool.withConnection { _ in } }
            #expect(error?.code == .connectionFailed)
        }
        #expect(pool.openConnections == 0)
        await pool.shutdown()
    }
}

/// Counts bodies running at once, and the most server sessions one of them saw.
private final class ConcurrencyTracker: Sendable {
    private let state = Mutex((now: 0, max: 0, sessions: 0))

    func enter() {
        state.withLock { state in
            state.now += 1
            state.max = max(state.max, state.now)
        }
    }

    func leave() { state.withLock { $0.now -= 1 } }

    func observeServerSessions(_ count: Int) { state.withLock { $0.sessions = max($0.sessions, count) } }

    var maxConcurrent: Int { state.withLock { $0.max } }
    var maxServerSessions: Int { state.withLock { $0.sessions } }
}

/// `PostgresConnection.withConnection` closes its connection on every exit path.
@Suite("Scoped connection")
struct ScopedConnectionTests {
    struct Expected: Error {}

    @Test func theConnectionIsClosedAfterTheBodyReturnsAndAfterItThrows() async throws {
        let configuration = try testConfiguration()
        let kept = try await PostgresConnection.withConnection(configuration: configuration) { connection in
            #expect(!connection.isClosed)
            return connection
        }
        #expect(kept.isClosed)
        let thrown = Mutex<PostgresConnection?>(nil)
        await #expect(throws: Expected.self) {
            try await PostgresConnection.withConnection(configuration: configuration) { connection in
                thrown.withLock { $0 = connection }
                throw Expected()
            }
        }
        #expect(thrown.withLock { $0?.isClosed } == true)
    }
}
