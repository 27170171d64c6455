import Contracts
import Foundation
import Kafka
import Logging
import Outbox
import Postgres
import Tracing

/// The database side of one batch: one transaction, the processed-event rows of the
/// whole batch in one statement and (order-preserving mode) the blocked keys in one read,
/// then each event through its chain.
///
/// Optimistic mode runs the handlers without savepoints; if one fails (not transiently)
/// the transaction is rolled back and the batch redone with a savepoint per event, so a
/// failing event never takes its neighbours' effects with it. Failed events' processed
/// rows are removed in the same transaction, so their retry is handled again.
///
/// What happens to each event is the chain's (``ConsumerMiddleware``), which the
/// classifier attached to the event: ``DedupeLayer`` skips a duplicate, ``ParkLayer``
/// (order-preserving mode) parks an event whose key is blocked by an earlier failed or
/// dead-lettered event, blocks the key of one that fails and releases the parked events of
/// a blocker that succeeds, ``SavepointLayer`` runs a savepoint batch's event in its own
/// savepoint. They work from the batch-wide state the transaction prepares once per
/// attempt (``BatchState``); the transaction runs the attempts, the outbox flushes and the
/// failed events' processed rows.
struct BatchTransaction: Sendable {
    let group: String
    let writer: OutboxWriter?
    let optimistic: Bool
    let parking: ParkingLot?
    /// Re-reads parked events when their key is released.
    let classifier: MessageClassifier
    /// Counts the duplicates and parked events of each committed attempt.
    let eventMetrics: EventMetricsLayer
    let logger: Logger

    typealias Failure = HandlerFailure

    struct Outcome: Sendable {
        var handled = 0
        var duplicates = 0
        var parked = 0
        var failures: [Failure] = []
        /// Failures of released parked events: recorded in `parked_publications`.
        var parkedPublications = 0
        var redone = false
    }

    /// Emitted events per pipelined outbox insert in an optimistic batch.
    static let outboxChunk = 100

    struct HandlerFailed: Error {
        var event: UUID
        var error: any Error
        /// The context of the failed call's consume span (tracing on).
        var traceContext: ServiceContext?
    }

    /// How a batch records its processed-event rows.
    enum Dedupe {
        /// Pipelined, without waiting: the handlers run meanwhile. Any duplicate fails the
        /// insert (a unique violation) and the batch is redone with `.returning`. Duplicates
        /// are rare (a redelivery after a crash or a rebalance), so this is the first try.
        case pipelined
        /// `ON CONFLICT DO NOTHING RETURNING`: waits, and skips the duplicates it reports.
        case returning
    }

    func run(_ items: [BatchItem], on connection: PostgresConnection) async throws -> Outcome {
        var seen = Set<UUID>()
        let events = items.compactMap { item -> PlannedEvent? in
            if case .event(let planned) = item { return planned }
            return nil
        }
        // One processed-event row per id; later occurrences are duplicates (``DedupeLayer``).
        let unique = events.filter { seen.insert($0.event.envelope.id).inserted }
        var knownFailures: [UUID: HandlerFailed] = [:]
        if optimistic {
            var dedupe = Dedupe.pipelined
            attempts: while true {
                var processedInsert: Int?
                do {
                    let committed = AfterCommitActions()
                    let locals = BatchLocals(events: unique.map(\.event))
                    let outcome = try await AfterCommitActions.$current.withValue(committed) {
                        try await connection.withTransaction { tx in
                            let outcome = try await BatchLocals.$current.withValue(locals) {
                                try await runInTransaction(
                                    items, unique: unique, savepoints: false, dedupe: dedupe, knownFailures: [:],
                                    processedInsert: &processedInsert, on: tx)
                            }
                            eventMetrics.count(duplicates: outcome.duplicates, parked: outcome.parked)
                            return outcome
                        }
                    }
                    committed.run()
                    return outcome
                } catch let failed as HandlerFailed {
                    if isTransient(failed.error) { throw failed.error }
                    if dedupe == .pipelined, Self.mayBeDuplicate(failed.error, processedInsert: processedInsert) {
                        dedupe = .returning
                        continue attempts
                    }
                    // Redo with savepoints. A handler that threw is not called a second time for
                    // this delivery: its failure stands. Unless the error is not its own: a
                    // pipelined write's failure surfaces wherever the pipeline synced, and an
                    // aborted transaction is the fault of whichever statement aborted it; the
                    // redo, where each event runs in its own savepoint, finds the event.
                    if !Self.namesAnotherStatement(failed.error) { knownFailures[failed.event] = failed }
                } catch let error as PostgresError {
                    if error.isRetriable { throw error }
                    if dedupe == .pipelined, Self.mayBeDuplicate(error, processedInsert: processedInsert) {
                        dedupe = .returning
                        continue attempts
                    }
                    // A pipelined write failed, or a handler swallowed its own statement's error
                    // and the transaction was aborted: the savepoint redo finds the event.
                    if error.pipelineSequence == nil && error.sqlState != .inFailedSQLTransaction { throw error }
                } catch is BatchLocalFlushFailed {
                    // Whose change broke the flush is unknown: the savepoint redo, without batch
                    // locals, finds the event.
                }
                break
            }
        }
        let failures = knownFailures
        let committed = AfterCommitActions()
        var outcome = try await AfterCommitActions.$current.withValue(committed) {
            try await connection.withTransaction { tx in
                var processedInsert: Int?
                let outcome = try await runInTransaction(
                    items, unique: unique, savepoints: true, dedupe: .returning, knownFailures: failures,
                    processedInsert: &processedInsert, on: tx)
                eventMetrics.count(duplicates: outcome.duplicates, parked: outcome.parked)
                return outcome
            }
        }
        committed.run()
        outcome.redone = optimistic
        return outcome
    }

    /// Whether `error` may come from the pipelined processed-event insert failing on an
    /// event processed before: that failure itself (reported wherever the pipeline synced),
    /// or the aborted transaction that a handler which swallowed it met next. Any other
    /// error happened while the insert had succeeded: the insert is first in the pipeline,
    /// so its failure would have been the one reported.
    static func mayBeDuplicate(_ error: any Error, processedInsert: Int?) -> Bool {
        guard let error = error as? PostgresError else { return false }
        if error.sqlState == .inFailedSQLTransaction { return true }
        guard let processedInsert else { return false }
        return error.pipelineSequence == processedInsert && error.isUniqueViolation
    }

    private func runInTransaction(
        _ items: [BatchItem], unique: [PlannedEvent], savepoints: Bool, dedupe: Dedupe,
        knownFailures: [UUID: HandlerFailed], processedInsert: inout Int?, on tx: PostgresConnection
    ) async throws -> Outcome {
        let ids = unique.map(\.event.envelope.id)
        let fresh: Set<UUID>
        switch dedupe {
        case .pipelined:
            processedInsert = try await pipelineProcessed(ids, on: tx)
            fresh = Set(ids)
        case .returning:
            fresh = try await insertProcessed(ids, on: tx)
        }
        // Optimistic batches pipeline emitted events a chunk at a time, so that the server
        // inserts them while later handlers run; savepoint batches insert per event.
        let batchBuffer: OutboxBuffer? = savepoints ? nil : OutboxBuffer()
        func flush(atLeast minimum: Int) async throws {
            guard let batchBuffer, let writer, batchBuffer.count >= minimum,
                let query = writer.insertQuery(batchBuffer.drain())
            else { return }
            try await tx.pipeline(query)
        }
        var blocked: [String: UUID] = [:]
        if let parking {
            let keys = items.compactMap { item -> String? in
                switch item {
                case .event(let planned): planned.event.key
                case .deadLettered(let key, _): key
                }
            }
            blocked = try await parking.blockedKeys(keys, on: tx)
        }
        let batch = BatchState(
            transaction: self, buffer: batchBuffer, fresh: fresh, blocked: blocked, knownFailures: knownFailures)
        var outcome = Outcome()
        for item in items {
            switch item {
            case .deadLettered(let key, let id):
                if let parking, batch.blocker(of: key) == nil {
                    try await parking.blockIfFree(key: key, by: id, on: tx)
                    batch.setBlocker(of: key, to: id)
                }
            case .event(let planned):
                // Dedupe, park, savepoint and the rest are layers of the event's chain.
                let skippedBefore = batch.counts
                let call = EventCall(planned: planned, batch: batch, savepoint: savepoints, releasing: false)
                if let failure = try await handle(call, buffer: batchBuffer, on: tx) {
                    outcome.failures.append(failure)
                    continue
                }
                let skipped = batch.counts
                if skipped.duplicates == skippedBefore.duplicates, skipped.parked == skippedBefore.parked {
                    outcome.handled += 1
                }
                try await flush(atLeast: Self.outboxChunk)
            }
        }
        // The batch locals' writes (an optimistic attempt only), then the emitted events.
        if !savepoints { try await BatchLocals.current?.flush(on: tx) }
        try await flush(atLeast: 1)
        let counts = batch.counts
        outcome.duplicates = counts.duplicates
        outcome.parked = counts.parked
        outcome.handled += counts.releasedHandled
        outcome.parkedPublications = counts.releasedFailures.count
        let failed = outcome.failures.map(\.planned.event.envelope.id) + counts.releasedFailures
        if !failed.isEmpty {
            try await tx.execute(
                "DELETE FROM processed_events WHERE consumer_group = \(group) AND event_id = ANY(\(failed)::uuid[])")
        }
        return outcome
    }

    /// Runs one event's chain. Returns its failure (handler errors; a savepoint batch's
    /// known failures), throws transient errors and the batch layers' own statement errors,
    /// and in optimistic mode throws `HandlerFailed` so the batch is redone with savepoints.
    func handle(_ call: EventCall, buffer: OutboxBuffer?, on tx: PostgresConnection) async throws -> Failure? {
        let planned = call.planned
        let spanSlot = ConsumeSpanSlot.whenTracing()
        let context = HandlerContext(
            connection: tx, group: group, writer: writer, cause: planned.event.envelope,
            buffer: buffer ?? OutboxBuffer(), pipelinesWrites: !call.savepoint, spanSlot: spanSlot, call: call)
        do {
            try await planned.handler(planned.event, context)
            return nil
        } catch let own as BatchStatementFailure {
            throw own.underlying
        } catch let known as HandlerFailed where call.savepoint {
            return Failure(
                planned: planned, error: "\(known.error)", isPermanent: known.error is PermanentFailure,
                traceContext: known.traceContext)
        } catch {
            guard call.savepoint else {
                throw HandlerFailed(event: planned.event.envelope.id, error: error, traceContext: spanSlot?.context)
            }
            if isTransient(error) { throw error }
            return Failure(
                planned: planned, error: "\(error)", isPermanent: error is PermanentFailure,
                traceContext: spanSlot?.context)
        }
    }

    /// Whether `error`, thrown while one event was handled, may belong to another statement:
    /// a pipelined statement's failure, or a transaction aborted earlier.
    static func namesAnotherStatement(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        return error.pipelineSequence != nil || error.sqlState == .inFailedSQLTransaction
    }

    /// Sends the processed-event rows' insert without waiting; returns its pipeline sequence.
    private func pipelineProcessed(_ ids: [UUID], on tx: PostgresConnection) async throws -> Int? {
        guard !ids.isEmpty else { return nil }
        return try await tx.pipeline(
            """
            INSERT INTO processed_events (consumer_group, event_id)
            SELECT \(group), id FROM unnest(\(ids)::uuid[]) AS u(id)
            """)
    }

    /// Inserts the processed-event rows; returns the ids that were new (not duplicates).
    private func insertProcessed(_ ids: [UUID], on tx: PostgresConnection) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        let rows = try await tx.query(
            """
            INSERT INTO processed_events (consumer_group, event_id)
            SELECT \(group), id FROM unnest(\(ids)::uuid[]) AS u(id)
            ON CONFLICT DO NOTHING RETURNING event_id
            """)
        var fresh = Set<UUID>()
        fresh.reserveCapacity(rows.count)
        for row in rows {
            // Parsed here rather than by `UUID(uuidString:)`, which goes through `sscanf`.
            let text = try row.decode(String.self, column: 0)
            guard let id = UUIDText.parse(text) else {
                throw PostgresError(code: .decoding, message: "processed_events returned a malformed uuid")
            }
            fresh.insert(id)
        }
        return fresh
    }
}
