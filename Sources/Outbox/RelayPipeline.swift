import Foundation
import Kafka
import Logging
import Postgres

/// The active relay's pipeline: up to `maxBatchesInFlight` batches are produced at once,
/// read in id order, and removed oldest first as their delivery reports come back.
///
/// Order and completeness: a *run* reads rows above a high-water mark (the last id it
/// read). Each read also counts, in the same snapshot, the pending rows at or below the
/// mark; when that count exceeds the rows the run still holds, a transaction committed late
/// with a smaller id, and the run stops reading, drains, and starts again from the oldest
/// pending row. Because one key's rows commit in id order (the writer's rule), any later
/// row of that key is invisible to a snapshot that does not yet show the late row, so
/// nothing of its key is read past it. Runs also restart every `rescanInterval`, and after
/// any failed delivery (the failed row and every later row of its key stay, per
/// `OutboxDeliveryOutcome`, across the run's batches).
struct RelayPipeline {
    struct Batch {
        var rows: [OutboxRow]
        /// Indices of `rows` that became messages (the others are malformed rows).
        var sendable: [Int]
        /// Enqueued in id order before the next batch is read, so per-partition order holds.
        var deliveries: PendingDeliveries
    }

    struct Completion {
        var delivered = 0
        var failed = 0
        var retained = 0
        var fatal = false
        var firstError: KafkaError?
    }

    let schema: OutboxSchema
    let configuration: OutboxRelayConfiguration
    let logger: Logger

    private(set) var inFlight: [Batch] = []
    private var highWaterMark: Int64?
    private var outstanding = 0
    private var accepting = true
    private var runStarted = ContinuousClock.now
    private var blockedKeys: Set<String> = []
    /// Whether the last read found nothing new.
    private(set) var exhausted = false
    /// A failure happened in this run: back off once it drains.
    private(set) var runHadFailures = false
    private(set) var runHadFatal = false

    init(schema: OutboxSchema, configuration: OutboxRelayConfiguration, logger: Logger) {
        self.schema = schema
        self.configuration = configuration
        self.logger = logger
    }

    /// Starts a new run from the oldest pending row. Only when nothing is in flight.
    mutating func restartIfDrained() {
        guard inFlight.isEmpty else { return }
        highWaterMark = nil
        outstanding = 0
        accepting = true
        blockedKeys = []
        runHadFailures = false
        runHadFatal = false
        runStarted = .now
    }

    /// Reads and starts producing batches until the window is full or nothing is left.
    mutating func fill(on work: PostgresConnection, producer: KafkaProducer) async throws {
        exhausted = false
        while accepting && inFlight.count < configuration.maxBatchesInFlight {
            if ContinuousClock.now - runStarted >= configuration.rescanInterval && highWaterMark != nil {
                accepting = false
                return
            }
            let (rows, late) = try await fetch(on: work)
            if late {
                accepting = false
                return
            }
            guard let last = rows.last else {
                exhausted = true
                return
            }
            highWaterMark = last.id
            outstanding += rows.count
            var messages: [KafkaProducerMessage] = []
            var sendable: [Int] = []
            messages.reserveCapacity(rows.count)
            for (index, row) in rows.enumerated() {
                do {
                    messages.append(try row.message(defaultSource: configuration.defaultSource))
                    sendable.append(index)
                } catch {
                    logger.error(
                        "outbox row cannot be published; it blocks its key until fixed",
                        metadata: ["id": "\(row.id)", "error": "\(error)"])
                }
            }
            let deliveries = await producer.enqueueBatch(messages)
            inFlight.append(Batch(rows: rows, sendable: sendable, deliveries: deliveries))
        }
    }

    /// Awaits the oldest batch, removes its done rows, and reports what happened.
    mutating func completeOldest(on work: PostgresConnection, producerFatal: () -> Bool) async throws -> Completion {
        let batch = inFlight.removeFirst()
        let results = await batch.deliveries.wait()
        var completion = Completion()
        var succeeded = Array(repeating: false, count: batch.rows.count)
        for (position, result) in results.enumerated() {
            switch result {
            case .success: succeeded[batch.sendable[position]] = true
            case .failure(let error):
                completion.failed += 1
                if completion.firstError == nil { completion.firstError = error }
                if error.isFatal { completion.fatal = true }
            }
        }
        if producerFatal() { completion.fatal = true }
        let outcome = OutboxDeliveryOutcome(
            rows: batch.rows.map { ($0.id, $0.key) }, succeeded: succeeded, blockedKeys: &blockedKeys)
        try await remove(outcome.delivered, on: work)
        outstanding -= outcome.delivered.count
        completion.delivered = outcome.delivered.count
        completion.retained = outcome.retained.count
        if !outcome.retained.isEmpty || completion.fatal {
            // Stop reading ahead: drain, then start again from the oldest pending row.
            accepting = false
            runHadFailures = true
        }
        if completion.fatal { runHadFatal = true }
        return completion
    }

    /// Rows above the high-water mark, and whether a row at or below it appeared late.
    private func fetch(on work: PostgresConnection) async throws -> (rows: [OutboxRow], late: Bool) {
        let limit = configuration.batchSize
        let result: PostgresRows
        if let mark = highWaterMark {
            result = try await work.query(
                """
                SELECT id, event_id, topic, partition_key, event_type, headers::text, payload::text, created_at,
                       (SELECT count(*) FROM \(unsafeSQL: schema.table) WHERE delivered_at IS NULL AND id <= \(mark))::bigint
                FROM \(unsafeSQL: schema.table) WHERE delivered_at IS NULL AND id > \(mark) ORDER BY id LIMIT \(limit)
                """)
        } else {
            result = try await work.query(
                """
                SELECT id, event_id, topic, partition_key, event_type, headers::text, payload::text, created_at, 0::bigint
                FROM \(unsafeSQL: schema.table) WHERE delivered_at IS NULL ORDER BY id LIMIT \(limit)
                """)
        }
        if let first = result.first, try first.decode(Int64.self, column: 8) != Int64(outstanding) {
            return ([], true)
        }
        let rows = try result.map { row in
            OutboxRow(
                id: try row.decode(Int64.self, column: 0),
                eventID: try row.decode(UUID.self, column: 1),
                topic: try row.decode(String.self, column: 2),
                key: try row.decode(String?.self, column: 3),
                eventType: try row.decode(String.self, column: 4),
                headersText: try row.decode(String.self, column: 5),
                payload: try row.decode(String.self, column: 6),
                createdAt: try row.decode(Date.self, column: 7)
            )
        }
        return (rows, false)
    }

    private func remove(_ ids: [Int64], on work: PostgresConnection) async throws {
        guard !ids.isEmpty else { return }
        if configuration.keepDelivered != nil {
            try await work.execute(
                "UPDATE \(unsafeSQL: schema.table) SET delivered_at = clock_timestamp() WHERE id = ANY(\(ids)::bigint[])"
            )
        } else {
            try await work.execute("DELETE FROM \(unsafeSQL: schema.table) WHERE id = ANY(\(ids)::bigint[])")
        }
    }

    /// Waits for every in-flight batch without removing anything (the database is gone);
    /// their rows stay pending and are read again by the next run.
    mutating func abandon() async {
        for batch in inFlight { _ = await batch.deliveries.wait() }
        inFlight = []
    }
}
