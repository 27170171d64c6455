import Consumers
import Contracts
import Foundation
import Postgres

/// The dead-letter store in the operations database.
///
/// Records are inserted once per group + original topic/partition/offset (a re-read of a
/// `*.dlq` topic adds nothing); every change of a record writes an audit entry in the same
/// transaction. Safe to share between tasks: each call borrows a pooled connection.
public struct DeadLetterStore: Sendable {
    public let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// Creates or upgrades the tables.
    public func install() async throws {
        try await pool.withConnection { try await DeadLetterSchema.install(on: $0) }
    }

    /// The records matching `filter`, oldest first.
    public func list(_ filter: DeadLetterFilter) async throws -> [DeadLetterRecord] {
        try await pool.withConnection { connection in
            try await connection.query(filter.query(selecting: DeadLetterRecord.columns)).map(DeadLetterRecord.init)
        }
    }

    /// One record, or nil.
    public func record(_ id: Int64) async throws -> DeadLetterRecord? {
        try await pool.withConnection { connection in
            try await connection.query(
                "SELECT \(unsafeSQL: DeadLetterRecord.columns) FROM dead_letters WHERE id = \(id)"
            )
            .first.map(DeadLetterRecord.init)
        }
    }

    /// The records with `ids`, in the order given.
    /// - Throws: `DeadLetterError.notFound` naming the first id that does not exist.
    public func records(_ ids: [Int64]) async throws -> [DeadLetterRecord] {
        var records: [DeadLetterRecord] = []
        for id in ids {
            guard let record = try await record(id) else {
                throw DeadLetterError(code: .notFound, message: "no dead letter with id \(id) (see `choreo dlq list`)")
            }
            records.append(record)
        }
        return records
    }

    /// The audit trail of a record, oldest first.
    public func audit(_ id: Int64) async throws -> [DeadLetterAuditEntry] {
        try await pool.withConnection { connection in
            try await connection.query(
                "SELECT \(unsafeSQL: DeadLetterAuditEntry.columns) FROM dead_letter_audit WHERE record_id = \(id) ORDER BY id"
            ).map(DeadLetterAuditEntry.init)
        }
    }

    /// Sets the status of `id` and audits it, in one transaction; returns the audit entry id.
    @discardableResult
    public func mark(
        _ id: Int64, status: DeadLetterStatus, actor: String, action: String, outcome: String = "ok",
        detail: JSONObject = JSONObject()
    ) async throws -> Int64 {
        try await pool.withConnection { connection in
            try await connection.withTransaction { tx in
                let updated = try await tx.execute(
                    """
                    UPDATE dead_letters SET status = \(status.rawValue), next_redrive_at = NULL,
                        updated_at = clock_timestamp() WHERE id = \(id)
                    """)
                guard updated == 1 else {
                    throw DeadLetterError(code: .notFound, message: "no dead letter with id \(id)")
                }
                return try await Self.audit(
                    id, actor: actor, action: action, outcome: outcome, detail: detail, on: tx)
            }
        }
    }

    /// Writes an audit entry without changing the record; returns its id.
    @discardableResult
    public func note(_ id: Int64, actor: String, action: String, outcome: String, detail: JSONObject = JSONObject())
        async throws -> Int64
    {
        try await pool.withConnection { connection in
            try await Self.audit(id, actor: actor, action: action, outcome: outcome, detail: detail, on: connection)
        }
    }

    /// Sets the outcome of an audit entry (a replay whose publish failed).
    public func setOutcome(_ auditID: Int64, _ outcome: String) async throws {
        try await pool.withConnection { connection in
            _ = try await connection.execute("UPDATE dead_letter_audit SET outcome = \(outcome) WHERE id = \(auditID)")
        }
    }

    static func audit(
        _ id: Int64, actor: String, action: String, outcome: String, detail: JSONObject,
        on connection: PostgresConnection
    ) async throws -> Int64 {
        let rows = try await connection.query(
            """
            INSERT INTO dead_letter_audit (record_id, actor, action, outcome, detail)
            VALUES (\(id), \(actor), \(action), \(outcome), \(PostgresJSON(JSONValue.object(detail).serialized())))
            RETURNING id
            """)
        guard let row = rows.first else {
            throw DeadLetterError(code: .notFound, message: "no dead letter with id \(id)")
        }
        return try row.decode(Int64.self, column: 0)
    }
}
