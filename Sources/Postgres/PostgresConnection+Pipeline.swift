import CLibPQ

/// Pipelined statements (libpq pipeline mode): statements sent without waiting for each
/// result, so many writes cost one round trip instead of one each.
///
/// `pipeline(_:)` sends a statement and returns at once. The results are read — and an
/// error raised — at the next `syncPipeline()`, or before any other call on the
/// connection (`query`, `execute`, `simpleQuery`, commit), which syncs first. So a
/// pipelined statement is always finished before anything that could observe it, and its
/// failure is never lost: the call that syncs throws it, with
/// `PostgresError.pipelineSequence` naming the failing statement. Statements after a
/// failed one (up to the sync) are not executed, as in any transaction that hit an error.
///
/// Meant for writes whose result rows are not needed (`INSERT`, `UPDATE`, `DELETE`):
/// results are read only at the sync, and at most `pipelineDepth` statements wait
/// unsynced, so the server's replies never fill the socket.
extension PostgresConnection {
    /// Statements sent before the connection syncs by itself. The replies to 1,024 writes
    /// (about 60 bytes each) fit in the sockets' buffers, so the server never blocks on a
    /// client that is still sending. 1,024 rather than 256 took a 500-event batch of one
    /// write per event from 15.8 ms to 11.3 ms of handler time (`choreo bench consumer`).
    public static let pipelineDepth = 1024

    /// What was sent in the current pipeline, in order: each entry yields results up to a
    /// NULL from `PQgetResult`.
    struct Pipeline {
        enum Entry {
            /// A `PQsendPrepare` of `sql`; if it fails, the statement is not cached.
            case prepare(sql: String)
            case statement(sequence: Int, prepared: Bool)
        }
        var entries: [Entry] = []
        var statements = 0
    }

    /// Sends `query` without waiting for its result and returns its sequence number (which
    /// a later `PostgresError.pipelineSequence` refers to).
    /// - Throws: a pipelined statement's error when this call had to sync (every
    ///   `pipelineDepth` statements); sending errors (connection lost).
    @discardableResult
    public func pipeline(_ query: PostgresQuery) async throws -> Int {
        try await withHandle(syncingPipeline: false) { connection in try self.send(query, on: connection) }
    }

    /// Waits for every pipelined statement.
    /// - Throws: the first failing statement's `PostgresError`, with `pipelineSequence` set.
    public func syncPipeline() async throws {
        try await withHandle { _ in }
    }

    private func send(_ query: PostgresQuery, on connection: OpaquePointer) throws -> Int {
        if handle.pipeline?.statements ?? 0 >= Self.pipelineDepth {
            if let error = drainPipeline(on: connection) { throw error }
        }
        if handle.pipeline == nil {
            guard PQenterPipelineMode(connection) == 1 else {
                throw PostgresError(
                    code: .protocolViolation, message: "cannot enter pipeline mode: \(Self.lastError(connection))")
            }
            handle.pipeline = Pipeline()
        }
        handle.sequence += 1
        let sequence = handle.sequence
        var name = handle.prepared[query.sql]
        if name == nil, !query.binds.isEmpty, handle.prepared.count < Self.preparedStatementLimit {
            let newName = handle.nextPreparedName()
            if PQsendPrepare(connection, newName, query.sql, Int32(query.binds.count), nil) == 1 {
                handle.prepared[query.sql] = newName
                handle.pipeline?.entries.append(.prepare(sql: query.sql))
                name = newName
            }
        }
        let sent = withOptionalCStringArray(query.binds) { values in
            if let name {
                return PQsendQueryPrepared(connection, name, Int32(query.binds.count), values, nil, nil, 0)
            }
            return PQsendQueryParams(connection, query.sql, Int32(query.binds.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else {
            let error = PostgresError(
                code: PQstatus(connection) == CONNECTION_OK ? .protocolViolation : .connectionClosed,
                message: "cannot send a pipelined statement: \(Self.lastError(connection))")
            if error.code == .connectionClosed { markClosed(error: error) }
            throw error
        }
        handle.pipeline?.entries.append(.statement(sequence: sequence, prepared: name != nil))
        handle.pipeline?.statements += 1
        return sequence
    }

    /// Ends the current pipeline, if any: sends a sync, reads every result, leaves
    /// pipeline mode. Returns the first statement error (or a lost connection).
    func drainPipeline(on connection: OpaquePointer) -> PostgresError? {
        guard let pipeline = handle.pipeline else { return nil }
        handle.pipeline = nil
        var failure: PostgresError?
        func record(_ error: PostgresError) { if failure == nil { failure = error } }
        func lost() -> PostgresError {
            let error = PostgresError(
                code: .connectionClosed, message: "lost the connection to \(endpoint): \(Self.lastError(connection))")
            markClosed(error: error)
            return error
        }
        guard PQpipelineSync(connection) == 1 else { return lost() }
        for entry in pipeline.entries {
            // Every entry's results end with a NULL.
            while let result = PQgetResult(connection) {
                defer { PQclear(result) }
                let status = PQresultStatus(result)
                if case .prepare(let sql) = entry, status != PGRES_COMMAND_OK {
                    // Not prepared: it failed, or an earlier statement's failure made the
                    // server skip it (PIPELINE_ABORTED). Either way the name is unknown to
                    // the server, so the cache must not keep it.
                    handle.prepared[sql] = nil
                }
                guard status == PGRES_FATAL_ERROR else { continue }
                do { try check(result, on: connection) } catch let error as PostgresError {
                    switch entry {
                    case .prepare:
                        record(error)
                    case .statement(let sequence, let prepared):
                        var error = error
                        error.pipelineSequence = sequence
                        if prepared { _ = forgetPreparedIfStale(&error) }
                        record(error)
                    }
                } catch {}
            }
            if PQstatus(connection) != CONNECTION_OK { return lost() }
        }
        // Then the sync point itself.
        while let result = PQgetResult(connection) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        guard PQstatus(connection) == CONNECTION_OK else { return lost() }
        if PQexitPipelineMode(connection) != 1 {
            record(
                PostgresError(
                    code: .protocolViolation, message: "cannot leave pipeline mode: \(Self.lastError(connection))"))
        }
        return failure
    }
}
