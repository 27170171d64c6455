import Logging
import Synchronization

/// A small pool of connections to one database.
///
/// At most `maxConnections` are open; callers beyond that wait in order. A connection that
/// comes back closed or broken (or inside an unfinished transaction) is discarded and a
/// new one is opened for the next caller.
public final class PostgresConnectionPool: Sendable {
    public let configuration: PostgresConfiguration
    public let maxConnections: Int
    private let logger: Logger

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var shutDown = false
    }

    private let state = Mutex(State())

    public init(
        configuration: PostgresConfiguration, maxConnections: Int = 4,
        logger: Logger = Logger(label: "choreo.postgres.pool")
    ) {
        self.configuration = configuration
        self.maxConnections = max(1, maxConnections)
        self.logger = logger
    }

    /// Lends a connection to `body` and takes it back afterwards.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            await release(connection)
            return value
        } catch {
            await release(connection)
            throw error
        }
    }

    /// `withConnection` + `withTransaction`.
    @discardableResult
    public func withTransaction<T: Sendable>(
        isolation: PostgresIsolation = .readCommitted,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection { connection in try await connection.withTransaction(isolation: isolation, body) }
    }

    /// Connections open now (idle or lent).
    public var openConnections: Int { state.withLock { $0.open } }

    /// Closes idle connections and refuses new work; lent connections close when returned.
    public func shutdown() async {
        let (idle, waiters) = state.withLock { state in
            state.shutDown = true
            defer {
                state.idle = []
                state.waiters = []
            }
            state.open -= state.idle.count
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.resume() }
        for connection in idle { await connection.close() }
    }

    private enum Step {
        case use(PostgresConnection)
        case open
        case wait
        case shutDown
    }

    /// Lends a connection until ``release(_:)``: for a holder that keeps one connection across
    /// many calls and replaces it when it breaks (a consumer instance). Every connection
    /// acquired must be released on every path, also a closed one (that frees its place).
    /// Prefer ``withConnection(_:)`` where one scope covers the use.
    /// - Throws: `PostgresError.connectionClosed` after ``shutdown()``; connection errors.
    public func acquire() async throws -> PostgresConnection {
        while true {
            let step = state.withLock { state -> Step in
                if state.shutDown { return .shutDown }
                if let connection = state.idle.popLast() { return .use(connection) }
                if state.open < maxConnections {
                    state.open += 1
                    return .open
                }
                return .wait
            }
            switch step {
            case .shutDown:
                throw PostgresError(code: .connectionClosed, message: "the connection pool is shut down")
            case .use(let connection):
                // An idle connection may have been ended by the server meanwhile (restart,
                // pg_terminate_backend, idle timeout): check before lending it.
                guard await connection.checkAlive() else {
                    logger.debug("discarding a pooled connection the server closed")
                    state.withLock { $0.open -= 1 }
                    await connection.close()
                    continue
                }
                return connection
            case .open:
                do {
                    return try await PostgresConnection.connect(configuration: configuration, logger: logger)
                } catch {
                    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                        state.open -= 1
                        return state.waiters.isEmpty ? nil : state.waiters.removeFirst()
                    }
                    waiter?.resume()
                    throw error
                }
            case .wait:
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.shutDown || !state.idle.isEmpty || state.open < maxConnections { return true }
                        state.waiters.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    /// Takes back a connection from ``acquire()``: kept for the next caller when it is open
    /// and outside a transaction, otherwise closed and its place freed.
    public func release(_ connection: PostgresConnection) async {
        var broken = connection.isClosed
        if !broken {
            // A connection left inside a transaction is not reusable as is.
            broken = (try? await connection.isIdleOutsideTransaction()) != true
        }
        let (waiter, discard) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Bool) in
            if broken || state.shutDown {
                state.open -= 1
            } else {
                state.idle.append(connection)
            }
            return (state.waiters.isEmpty ? nil : state.waiters.removeFirst(), broken || state.shutDown)
        }
        if discard {
            if broken { logger.debug("discarding a broken or busy pooled connection") }
            await connection.close()
        }
        waiter?.resume()
    }
}
