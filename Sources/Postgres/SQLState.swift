/// A PostgreSQL SQLSTATE error code, e.g. `23505` (unique violation).
public struct SQLState: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let notNullViolation = SQLState(rawValue: "23502")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let serializationFailure = SQLState(rawValue: "40001")
    /// A statement in a transaction that an earlier error aborted.
    public static let inFailedSQLTransaction = SQLState(rawValue: "25P02")
    /// Among others: a cached plan whose result type changed.
    public static let featureNotSupported = SQLState(rawValue: "0A000")
    /// No prepared statement of that name.
    public static let invalidSQLStatementName = SQLState(rawValue: "26000")
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    public static let lockNotAvailable = SQLState(rawValue: "55P03")
    public static let queryCanceled = SQLState(rawValue: "57014")
    public static let adminShutdown = SQLState(rawValue: "57P01")
    public static let crashShutdown = SQLState(rawValue: "57P02")
    public static let cannotConnectNow = SQLState(rawValue: "57P03")
    public static let tooManyConnections = SQLState(rawValue: "53300")
    /// A write on a server that is (now) a read-only standby, e.g. right after a failover.
    public static let readOnlySQLTransaction = SQLState(rawValue: "25006")
    public static let undefinedTable = SQLState(rawValue: "42P01")
    public static let undefinedColumn = SQLState(rawValue: "42703")
    public static let syntaxError = SQLState(rawValue: "42601")
    public static let invalidPassword = SQLState(rawValue: "28P01")
    public static let invalidAuthorization = SQLState(rawValue: "28000")
    public static let invalidCatalogName = SQLState(rawValue: "3D000")
    public static let invalidTextRepresentation = SQLState(rawValue: "22P02")

    /// The class: the first two characters (`08` for connection exceptions).
    public var errorClass: Substring { rawValue.prefix(2) }

    /// Whether the condition is an outage or a conflict that passes, not a fault of the
    /// statement: trying the same work again later can succeed.
    ///
    /// - class 08 connection exception, 53 insufficient resources (disk full, out of
    ///   memory, too many connections), 58 system error (I/O error);
    /// - 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up,
    ///   shutting down, recovering), 57014 query canceled (statement timeout, `PQcancel`);
    /// - 25006 read-only transaction: the server became a standby (a failover moved the
    ///   primary), a new connection finds the new primary;
    /// - 40001 serialization failure, 40P01 deadlock, 55P03 lock not available (lock timeout).
    public var isTransient: Bool {
        if ["08", "53", "58"].contains(errorClass) { return true }
        return Self.transientStates.contains(self)
    }

    private static let transientStates: Set<SQLState> = [
        .adminShutdown, .crashShutdown, .cannotConnectNow, .queryCanceled, .readOnlySQLTransaction,
        .serializationFailure, .deadlockDetected, .lockNotAvailable,
    ]
}
