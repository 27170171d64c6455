/// An error from PostgreSQL or from talking to it.
///
/// `description` names what failed (the server's message, SQLSTATE, host and database)
/// and never contains passwords, connection strings or bound parameter values.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure. Extensible: new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// Could not connect (unreachable host, authentication failed, no such database).
        public static let connectionFailed = Code(name: "connection-failed")
        /// The connection was lost or closed.
        public static let connectionClosed = Code(name: "connection-closed")
        /// The server reported an error for a statement (see `sqlState`).
        public static let server = Code(name: "server")
        /// A value could not be decoded into the requested Swift type.
        public static let decoding = Code(name: "decoding")
        /// Invalid configuration (malformed URL, bad option).
        public static let configuration = Code(name: "configuration")
        /// The client and server disagree (unexpected result status).
        public static let protocolViolation = Code(name: "protocol-violation")
    }

    public var code: Code
    /// The server's SQLSTATE, for `.server` errors (and some connection errors).
    public var sqlState: SQLState?
    /// The server's primary message, or a client-side explanation.
    public var message: String
    /// The server's detail field, if any. Can contain values of the failing row; it is
    /// not part of `description`.
    public var detail: String?
    /// The violated constraint, if any.
    public var constraint: String?
    /// The underlying error, if any.
    public var underlying: (any Error)?
    /// For a pipelined statement's error: the number `PostgresConnection.pipeline(_:)`
    /// returned for it.
    public var pipelineSequence: Int?
    /// A cached prepared statement went stale (the schema changed, or the server no longer
    /// has it): the cache is cleared, so a redo of the transaction works.
    var isStalePreparedStatement = false

    public init(
        code: Code, sqlState: SQLState? = nil, message: String, detail: String? = nil,
        constraint: String? = nil, underlying: (any Error)? = nil
    ) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
        self.underlying = underlying
    }

    /// Whether trying again later may succeed: connection failures and losses, a cached
    /// prepared statement gone stale inside a transaction, and every SQLSTATE that
    /// `SQLState.isTransient` names (outages, failover, resource shortage, timeouts,
    /// serialization failures and deadlocks). A database outage is never a reason to give
    /// up on an event.
    public var isRetriable: Bool {
        if code == .connectionFailed || code == .connectionClosed || isStalePreparedStatement { return true }
        return sqlState?.isTransient == true
    }

    /// SQLSTATE 23505.
    public var isUniqueViolation: Bool { sqlState == .uniqueViolation }

    public var description: String {
        var text = "postgres \(code): \(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState.rawValue))" }
        if let constraint { text += " [constraint \(constraint)]" }
        return text
    }
}
