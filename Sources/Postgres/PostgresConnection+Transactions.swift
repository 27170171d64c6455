import CLibPQ

/// Transaction isolation levels.
public struct PostgresIsolation: Hashable, Sendable {
    let sql: String
    public static let readCommitted = PostgresIsolation(sql: "READ COMMITTED")
    public static let repeatableRead = PostgresIsolation(sql: "REPEATABLE READ")
    public static let serializable = PostgresIsolation(sql: "SERIALIZABLE")
}

extension PostgresConnection {
    /// Runs `body` in a transaction: `BEGIN`, then `COMMIT` if it returns, `ROLLBACK` if it
    /// throws (the original error is rethrown). A transaction the server aborted (a failed
    /// statement whose error the body swallowed) throws at `COMMIT` instead of silently
    /// rolling back.
    @discardableResult
    public func withTransaction<T: Sendable>(
        isolation: PostgresIsolation = .readCommitted,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await simpleQuery(isolation == .readCommitted ? "BEGIN" : "BEGIN ISOLATION LEVEL \(isolation.sql)")
        let value: T
        do {
            value = try await body(self)
            try await syncPipeline()
        } catch {
            await rollbackQuietly()
            throw error
        }
        let status = try await withHandle { connection -> String in
            let result = PQexec(connection, "COMMIT")
            defer { PQclear(result) }
            try self.check(result, on: connection)
            return result.map { String(cString: PQcmdStatus($0)) } ?? ""
        }
        guard status == "COMMIT" else {
            throw PostgresError(
                code: .server, sqlState: .inFailedSQLTransaction,
                message: "the transaction was aborted by an earlier error and rolled back")
        }
        return value
    }

    /// Runs `body` in a savepoint inside the current transaction: released if it returns,
    /// rolled back to (and released) if it throws, leaving the outer transaction usable.
    @discardableResult
    public func withSavepoint<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let depth = state.withLock { state -> Int in
            state.savepointDepth += 1
            return state.savepointDepth
        }
        defer { state.withLock { $0.savepointDepth -= 1 } }
        let name = "choreo_sp_\(depth)"
        try await simpleQuery("SAVEPOINT \(name)")
        do {
            let value = try await body(self)
            try await simpleQuery("RELEASE SAVEPOINT \(name)")
            return value
        } catch {
            if !isClosed {
                do {
                    try await simpleQuery("ROLLBACK TO SAVEPOINT \(name)")
                    try await simpleQuery("RELEASE SAVEPOINT \(name)")
                } catch let rollbackError {
                    // The outer transaction is unusable now; the original error says why.
                    logger.debug("rollback to savepoint failed", metadata: ["error": "\(rollbackError)"])
                }
            }
            throw error
        }
    }

    private func rollbackQuietly() async {
        guard !isClosed else { return }
        // A pipelined statement's error was already thrown (or is moot): the rollback must run.
        _ = try? await withHandle(syncingPipeline: false) { connection in _ = self.drainPipeline(on: connection) }
        do { try await simpleQuery("ROLLBACK") } catch {
            logger.debug("rollback failed", metadata: ["error": "\(error)"])
        }
    }
}

extension PostgresConnection {
    /// Whether the session is idle and outside any transaction (no round trip).
    func isIdleOutsideTransaction() async throws -> Bool {
        try await withHandle { connection in PQtransactionStatus(connection) == PQTRANS_IDLE }
    }
}
