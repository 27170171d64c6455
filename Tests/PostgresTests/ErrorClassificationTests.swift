import Postgres
import Testing

/// Which SQLSTATEs are transient (retry later) and which are faults of the statement.
@Suite("Error classification")
struct ErrorClassificationTests {
    @Test(
        "outages, failover, resource shortage, timeouts, serialization failures and deadlocks are retriable",
        arguments: [
            "08000", "08003", "08006", "08001", "08004", "08P01",  // connection exception
            "53000", "53100", "53200", "53300", "53400",  // insufficient resources
            "57P01", "57P02", "57P03",  // admin shutdown, crash shutdown, cannot connect now
            "58000", "58030",  // system error, I/O error
            "25006",  // read-only transaction: the server became a standby
            "40001", "40P01",  // serialization failure, deadlock
            "55P03", "57014",  // lock timeout, statement timeout or cancel
        ])
    func transient(_ state: String) {
        let sqlState = SQLState(rawValue: state)
        #expect(sqlState.isTransient)
        #expect(PostgresError(code: .server, sqlState: sqlState, message: "x").isRetriable)
    }

    @Test(
        "faults of the statement or the data are not retriable",
        arguments: [
            "23505", "23503", "23502", "23514",  // integrity
            "42601", "42P01", "42703", "42501",  // syntax, undefined, insufficient privilege
            "22P02", "22001", "22012",  // data exceptions
            "25P02", "25001",  // aborted transaction, active transaction
            "40002", "0A000", "28P01", "3D000", "57P04", "XX000",
        ])
    func permanent(_ state: String) {
        let sqlState = SQLState(rawValue: state)
        #expect(!sqlState.isTransient)
        #expect(!PostgresError(code: .server, sqlState: sqlState, message: "x").isRetriable)
    }

    @Test("connection failures and losses are retriable whatever their SQLSTATE; decoding and configuration are not")
    func byCode() {
        #expect(PostgresError(code: .connectionFailed, message: "x").isRetriable)
        #expect(PostgresError(code: .connectionClosed, message: "x").isRetriable)
        #expect(PostgresError(code: .connectionFailed, sqlState: .invalidPassword, message: "x").isRetriable)
        #expect(!PostgresError(code: .decoding, message: "x").isRetriable)
        #expect(!PostgresError(code: .configuration, message: "x").isRetriable)
        #expect(!PostgresError(code: .protocolViolation, message: "x").isRetriable)
        #expect(SQLState.readOnlySQLTransaction.errorClass == "25")
    }
}
