import CLibPQ
import Dispatch
import Foundation
import Logging
import Synchronization

/// One PostgreSQL connection (a libpq `PGconn`).
///
/// Threading: the `PGconn` is owned by the connection's private serial queue; every libpq
/// call runs there, never on the Swift cooperative pool, so a slow query blocks only this
/// connection. Calls are executed in the order they are made. A connection is one session:
/// use it from one task at a time (a transaction spans several calls).
public final class PostgresConnection: Sendable {
    /// Safe to send: every access to `handle` happens on `queue`, a serial queue, after
    /// `connect` returned; the handle is freed exactly once, in `close()` or `deinit`.
    final class Handle: @unchecked Sendable {
        var connection: OpaquePointer?
        /// SQL text → prepared statement name; touched only on `queue`, like `connection`.
        var prepared: [String: String] = [:]
        /// Prepared statement names handed out so far. Names are never reused, so a name
        /// forgotten by the cache can never collide with one the server still holds.
        var preparedNames = 0
        /// Statements sent in pipeline mode and not yet synced; nil outside pipeline mode.
        var pipeline: Pipeline?
        /// The last pipelined statement's sequence number.
        var sequence = 0
        init(_ connection: OpaquePointer?) { self.connection = connection }

        func nextPreparedName() -> String {
            preparedNames += 1
            return "choreo_\(preparedNames)"
        }
    }

    /// Statements prepared per connection at most; later distinct SQL runs unprepared.
    static let preparedStatementLimit = 256

    struct State {
        var closed = false
        var savepointDepth = 0
        var listeners: [UUID: Listener] = [:]
        var pumping = false
    }

    struct Listener {
        var channel: String
        var continuation: AsyncThrowingStream<PostgresNotification, any Error>.Continuation
    }

    let handle: Handle
    let queue: ConnectionExecutor
    /// The connection's thread, usable as a task executor (see `ConnectionExecutor`).
    public var executor: ConnectionExecutor { queue }
    let state = Mutex(State())
    let logger: Logger
    /// Receives the server's notices (libpq would print them on stderr); kept alive as long
    /// as the `PGconn` that points to it.
    let notices: NoticeSink
    /// Where it is connected (no password), for messages.
    public let endpoint: String
    /// The server process id of this session.
    public let backendPID: Int32
    /// Cancels and cuts a call the server does not answer (response timeout, `close()`).
    let interrupter: ConnectionInterrupter

    /// How long `close()` lets a running statement react to its cancel request before the
    /// socket is shut down under it.
    static let closeGrace: Duration = .seconds(1)

    private init(
        handle: Handle, queue: ConnectionExecutor, endpoint: String, backendPID: Int32, logger: Logger,
        notices: NoticeSink, interrupter: ConnectionInterrupter
    ) {
        self.interrupter = interrupter
        self.handle = handle
        self.queue = queue
        self.endpoint = endpoint
        self.backendPID = backendPID
        self.logger = logger
        self.notices = notices
    }

    deinit {
        if let connection = handle.connection { interrupter.finish { PQfinish(connection) } }
        queue.stop()
    }

    /// Opens a connection.
    /// - Throws: `PostgresError.connectionFailed` naming host, port and database (never the
    ///   password) and the server's reason.
    public static func connect(
        configuration: PostgresConfiguration,
        logger: Logger = Logger(label: "choreo.postgres")
    ) async throws -> PostgresConnection {
        let queue = ConnectionExecutor(name: "choreo.postgres")
        let endpoint = configuration.description
        let notices = NoticeSink(logger: logger)
        let (handle, pid, interrupter): (Handle, Int32, ConnectionInterrupter) =
            try await withCheckedThrowingContinuation {
                continuation in
                queue.async {
                    let pairs = configuration.libpqParameters
                    let connection = withCStringArray(pairs.map(\.0)) { keywords in
                        withCStringArray(pairs.map(\.1)) { values in
                            PQconnectdbParams(keywords, values, 0)
                        }
                    }
                    guard let connection, PQstatus(connection) == CONNECTION_OK else {
                        let reason = connection.map { Self.lastError($0) } ?? "out of memory"
                        if let connection { PQfinish(connection) }
                        continuation.resume(
                            throwing: PostgresError(
                                code: .connectionFailed, message: "cannot connect to \(endpoint): \(reason)"))
                        queue.stop()
                        return
                    }
                    notices.install(on: connection)
                    let interrupter = ConnectionInterrupter(
                        socket: PQsocket(connection), cancel: CancelRequest(connection: connection),
                        responseTimeout: configuration.responseTimeout)
                    continuation.resume(returning: (Handle(connection), PQbackendPID(connection), interrupter))
                }
            }
        return PostgresConnection(
            handle: handle, queue: queue, endpoint: endpoint, backendPID: pid, logger: logger, notices: notices,
            interrupter: interrupter)
    }

    /// Whether the connection was closed or found broken.
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Closes the connection; idempotent. Notification streams end, and calls not yet
    /// started fail with `.connectionClosed`.
    ///
    /// Prompt even when the server hangs: a statement still running is cancelled
    /// (`PQcancel`, sent from another thread) and, if it has not returned a second later
    /// (the server or the network does not answer), its socket is shut down, so the
    /// statement fails and the connection's thread is free. Safe to call from any task
    /// while another one waits in a call on this connection.
    public func close() async {
        markClosed(error: nil)
        interrupter.abandonRunningCall(grace: Self.closeGrace)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if let connection = self.handle.connection {
                    self.interrupter.finish { PQfinish(connection) }
                    self.handle.connection = nil
                }
                continuation.resume()
            }
        }
    }

    /// Asks the server to stop the statement this connection runs now, if any (`PQcancel`);
    /// returns at once. The statement fails with SQLSTATE 57014 (retriable); the connection
    /// stays usable. Safe to call from any task.
    public func cancel() {
        interrupter.cancelRunningCall()
    }

    /// Runs `body` with the `PGconn` on the connection's queue, after syncing pipelined
    /// statements (their error is thrown instead of running `body`) unless told not to.
    func withHandle<T: Sendable>(
        syncingPipeline: Bool = true, _ body: @escaping @Sendable (OpaquePointer) throws -> T
    ) async throws -> T {
        let run: @Sendable (OpaquePointer) throws -> T = { connection in
            self.interrupter.begin()
            defer { self.interrupter.end() }
            if syncingPipeline, let error = self.drainPipeline(on: connection) { throw error }
            return try body(connection)
        }
        if queue.isCurrent {
            // Already on the connection's thread (a task preferring this executor): no hop.
            guard let connection = handle.connection, !isClosed else {
                throw PostgresError(code: .connectionClosed, message: "the connection to \(endpoint) is closed")
            }
            return try run(connection)
        }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                guard let connection = self.handle.connection, !self.isClosed else {
                    continuation.resume(
                        throwing: PostgresError(
                            code: .connectionClosed, message: "the connection to \(self.endpoint) is closed"))
                    return
                }
                continuation.resume(with: Result { try run(connection) })
            }
        }
    }

    /// Whether the session is still there, without a round trip: reads what the server sent
    /// while the connection was idle (the error it sends before ending a session, then end of
    /// file) and marks the connection closed if the session is gone. A pool calls this before
    /// lending an idle connection.
    func checkAlive() async -> Bool {
        guard !isClosed else { return false }
        let alive = try? await withHandle { connection -> Bool in
            // A few rounds: the first read may return the server's last message, the next the end of file.
            for _ in 0..<4 {
                guard PQstatus(connection) == CONNECTION_OK else { break }
                let socket = PQsocket(connection)
                guard socket >= 0 else { break }
                var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
                guard poll(&descriptor, 1, 0) > 0 else { return true }
                guard PQconsumeInput(connection) == 1 else { break }
            }
            if PQstatus(connection) == CONNECTION_OK { return true }
            self.markClosed(
                error: PostgresError(
                    code: .connectionClosed,
                    message: "lost the connection to \(self.endpoint): \(Self.lastError(connection))"))
            return false
        }
        return alive == true
    }

    /// Runs a statement and returns its rows (all of them, in memory).
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await withHandle { connection in try self.run(query, on: connection) }
    }

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await self.query(query).affectedRows
    }

    /// Runs one or more statements without parameters (migrations, `BEGIN`…). The text is
    /// sent as is: never build it from input.
    public func simpleQuery(_ sql: String) async throws {
        try await withHandle { connection in
            let result = PQexec(connection, sql)
            defer { PQclear(result) }
            try self.check(result, on: connection)
        }
    }

    /// Sends `NOTIFY channel, payload` (delivered when the transaction commits).
    public func notify(_ channel: String, payload: String) async throws {
        try await execute("SELECT pg_notify(\(channel), \(payload))")
    }

    // MARK: - libpq, on the queue

    func run(_ query: PostgresQuery, on connection: OpaquePointer) throws -> PostgresRows {
        guard let name = preparedName(for: query, on: connection) else {
            return try runUnprepared(query, on: connection)
        }
        let result = withOptionalCStringArray(query.binds) { values in
            PQexecPrepared(connection, name, Int32(query.binds.count), values, nil, nil, 0)
        }
        defer { PQclear(result) }
        do {
            try check(result, on: connection)
        } catch var error as PostgresError where forgetPreparedIfStale(&error) {
            // Inside a transaction block the failure aborted it, so it stands (retriable);
            // outside one, this statement simply runs again unprepared.
            if PQtransactionStatus(connection) == PQTRANS_INERROR { throw error }
            return try runUnprepared(query, on: connection)
        }
        return try rows(of: result)
    }

    private func runUnprepared(_ query: PostgresQuery, on connection: OpaquePointer) throws -> PostgresRows {
        let result = withOptionalCStringArray(query.binds) { values in
            PQexecParams(connection, query.sql, Int32(query.binds.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        try check(result, on: connection)
        return try rows(of: result)
    }

    /// After a prepared statement's `error`: if the statement went stale (a table changed the
    /// plan's result type, SQLSTATE 0A000, or the server no longer has it, 26000), forgets
    /// every prepared statement, marks `error` retriable (a redo prepares afresh) and
    /// returns true.
    func forgetPreparedIfStale(_ error: inout PostgresError) -> Bool {
        guard error.sqlState == .featureNotSupported || error.sqlState == .invalidSQLStatementName else {
            return false
        }
        handle.prepared = [:]
        error.isStalePreparedStatement = true
        return true
    }

    /// Prepares statements with parameters once per connection (parse and plan once);
    /// nil runs the query unprepared (no parameters, cache full, or preparing failed).
    private func preparedName(for query: PostgresQuery, on connection: OpaquePointer) -> String? {
        guard !query.binds.isEmpty else { return nil }
        if let name = handle.prepared[query.sql] { return name }
        guard handle.prepared.count < Self.preparedStatementLimit,
            PQtransactionStatus(connection) != PQTRANS_INERROR
        else { return nil }
        let name = handle.nextPreparedName()
        let result = PQprepare(connection, name, query.sql, Int32(query.binds.count), nil)
        defer { PQclear(result) }
        guard let result, PQresultStatus(result) == PGRES_COMMAND_OK else { return nil }
        handle.prepared[query.sql] = name
        return name
    }

    private func rows(of result: OpaquePointer?) throws -> PostgresRows {
        guard let result else { return PostgresRows(rows: [], columnNames: [], affectedRows: 0) }
        let fields = Int(PQnfields(result))
        let tuples = Int(PQntuples(result))
        var names: [String] = []
        names.reserveCapacity(fields)
        for field in 0..<fields { names.append(String(cString: PQfname(result, Int32(field)))) }
        let columns = PostgresColumns(names: names)
        var rows: [PostgresRow] = []
        rows.reserveCapacity(tuples)
        for tuple in 0..<tuples {
            var values: [String?] = []
            values.reserveCapacity(fields)
            for field in 0..<fields {
                if PQgetisnull(result, Int32(tuple), Int32(field)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(tuple), Int32(field))))
                }
            }
            rows.append(PostgresRow(columns: columns, values: values))
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(rows: rows, columnNames: names, affectedRows: affected)
    }

    /// Throws the error a result carries; marks the connection closed when it broke.
    func check(_ result: OpaquePointer?, on connection: OpaquePointer) throws {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return
        default:
            if PQstatus(connection) != CONNECTION_OK {
                let reason =
                    interrupter.timedOut
                    ? "no reply within the response timeout (\(interrupter.responseTimeout.map { "\($0)" } ?? "")); the connection was abandoned"
                    : Self.lastError(connection)
                let error = PostgresError(
                    code: .connectionClosed, message: "lost the connection to \(endpoint): \(reason)")
                markClosed(error: error)
                throw error
            }
            guard let result else {
                throw PostgresError(code: .protocolViolation, message: Self.lastError(connection))
            }
            func field(_ code: Character) -> String? {
                guard let value = PQresultErrorField(result, Int32(code.asciiValue ?? 0)) else { return nil }
                return String(cString: value)
            }
            let sqlState = field("C").map(SQLState.init(rawValue:))
            let message = field("M") ?? Self.lastError(connection)
            let code: PostgresError.Code =
                sqlState.map { $0.rawValue.hasPrefix("08") || $0 == .adminShutdown || $0 == .crashShutdown } == true
                ? .connectionClosed : .server
            let error = PostgresError(
                code: code, sqlState: sqlState, message: message, detail: field("D"), constraint: field("n"))
            // The server ends the session after these: never reuse it.
            if code == .connectionClosed { markClosed(error: error) }
            throw error
        }
    }

    static func lastError(_ connection: OpaquePointer) -> String {
        guard let text = PQerrorMessage(connection) else { return "unknown error" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func markClosed(error: (any Error)?) {
        let listeners = state.withLock { state -> [Listener] in
            state.closed = true
            defer { state.listeners = [:] }
            return Array(state.listeners.values)
        }
        for listener in listeners {
            if let error { listener.continuation.finish(throwing: error) } else { listener.continuation.finish() }
        }
    }
}

/// Calls `body` with a NULL-terminated-free C array of C strings (`char *const *`).
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return pointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { buffer in
        // The array holds at least the terminating nil, so it has a base address.
        guard let base = buffer.baseAddress else { preconditionFailure("non-empty array without storage") }
        return body(base)
    }
}

/// Like `withCStringArray`, with `nil` entries passed as NULL (SQL NULL parameters).
func withOptionalCStringArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    guard !strings.isEmpty else { return body(nil) }
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { for pointer in pointers { free(pointer) } }
    return pointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { body($0.baseAddress) }
}
