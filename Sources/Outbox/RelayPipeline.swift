import Contracts
import Foundation
import Kafka
import Logging
import Postgres
import Tracing

/// The active relay's pipeline: up to `maxBatchesInFlight` batches, within
/// `maxInFlightBytes` of messages, are produced at once, read in id order, and removed
/// oldest first as their delivery reports come back.
///
/// Order and completeness: a *run* reads rows above a high-water mark (the last id it
/// read). Each read also counts, in the same snapshot, the pending rows at or below the
/// mark; when that count differs from the rows the run still holds, a transaction committed
/// late with a smaller id (or a key was released), and the run stops reading, drains, and
/// starts again from the oldest pending row. Because one key's rows commit in id order (the
/// writer's rule), any later row of that key is invisible to a snapshot that does not yet
/// show the late row, so nothing of its key is read past it. Runs also restart every
/// `rescanInterval`, after any failed delivery (the failed row and every later row of its
/// key stay, per `OutboxDeliveryOutcome`, across the run's batches), and when a key is blocked.
///
/// Blocked keys (`RelayBlocks`): a row that cannot be published — its message is too large,
/// its headers are malformed, its topic is undeclared or unknown to the broker, or the
/// producer refused it permanently (`KafkaError.isPermanentForMessage`) — blocks its key.
/// Reads and the late-commit count leave the key's rows out, so its later rows are neither
/// published nor counted; other keys flow. The blocker is read again when its backoff is due;
/// once delivered, the key's rows are counted again, the count differs, and a new run reads
/// them in order.
struct RelayPipeline {
    /// A row in flight: what is needed once its delivery report arrives.
    struct Sent {
        var id: Int64
        var key: String?
        var topic: String
        var eventType: String
        /// The message's headers, for the ids in log lines (shared with the message, not copied).
        var headers: [KafkaHeader]
        /// The row blocked its key and this is another attempt.
        var isBlocker: Bool
    }

    struct Batch {
        var rows: [Sent]
        var bytes: Int
        /// Enqueued in id order before the next batch is read, so per-partition order holds.
        var deliveries: PendingDeliveries
        /// The `relay publish` span of each row, in order; empty when no tracer is bootstrapped.
        var spans: [any Span]
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
    private let store: RelayBlockStore

    private(set) var inFlight: [Batch] = []
    private(set) var inFlightBytes = 0
    private var highWaterMark: Int64?
    private var outstanding = 0
    private var accepting = true
    private var runStarted = ContinuousClock.now
    private var runBlockedKeys: Set<String> = []
    private(set) var blocks: RelayBlocks
    private var brokerTopics: BrokerTopics
    /// Set when `blocks` changed; the relay copies them into its metrics and clears it.
    var blocksChanged = false
    /// Whether the last read found nothing new.
    private(set) var exhausted = false
    /// A failure happened in this run: back off once it drains.
    private(set) var runHadFailures = false
    private(set) var runHadFatal = false

    init(schema: OutboxSchema, configuration: OutboxRelayConfiguration, logger: Logger) {
        self.schema = schema
        self.configuration = configuration
        self.logger = logger
        self.store = RelayBlockStore(schema: schema)
        self.blocks = RelayBlocks(
            initialBackoff: configuration.blockedKeyInitialBackoff,
            maximumBackoff: configuration.blockedKeyMaximumBackoff)
        self.brokerTopics = BrokerTopics(client: configuration.producer.client, logger: logger)
    }

    /// Loads the blocks a previous active relay recorded; each is retried at once.
    mutating func loadBlocks(on work: PostgresConnection) async throws {
        blocks.load(try await store.loadPending(on: work))
        blocksChanged = true
    }

    /// Starts a new run from the oldest pending row. Only when nothing is in flight.
    mutating func restartIfDrained() {
        guard inFlight.isEmpty else { return }
        highWaterMark = nil
        outstanding = 0
        accepting = true
        runBlockedKeys = []
        runHadFailures = false
        runHadFatal = false
        runStarted = .now
    }

    /// Reads and starts producing batches until the window (batches or bytes) is full or
    /// nothing is left.
    mutating func fill(on work: PostgresConnection, producer: KafkaProducer) async throws {
        exhausted = false
        // A read's rows exist about three times while they become messages (the query result,
        // the decoded rows, the messages; librdkafka's copy is what stays in flight). So a read
        // takes at most an eighth of the bound, and starts only while at most half of it is in
        // flight: in flight and being read together stay within the bound.
        let readBudget = max(1, configuration.maxInFlightBytes / 8)
        let tracing = TraceContextPropagation.isTracing
        while accepting && inFlight.count < configuration.maxBatchesInFlight
            && inFlightBytes <= configuration.maxInFlightBytes / 2
        {
            if ContinuousClock.now - runStarted >= configuration.rescanInterval && highWaterMark != nil {
                accepting = false
                return
            }
            if highWaterMark == nil { try await releaseGoneBlockers(on: work) }
            let budget = readBudget
            let (rows, late) = try await fetch(on: work, byteBudget: budget)
            if late {
                accepting = false
                return
            }
            guard let last = rows.last else {
                exhausted = true
                return
            }
            highWaterMark = last.id
            var messages: [KafkaProducerMessage] = []
            var sent: [Sent] = []
            var bytes = 0
            var spans: [any Span] = []
            messages.reserveCapacity(rows.count)
            sent.reserveCapacity(rows.count)
            for row in rows {
                let isBlocker = blocks.entry(id: row.id) != nil
                if !isBlocker && blocks.isBlocked(id: row.id, key: row.key) {
                    continue  // its key was blocked by an earlier row of this read
                }
                switch await check(row) {
                case .success(let message):
                    if isBlocker { blocks.beginAttempt(id: row.id) } else { outstanding += 1 }
                    bytes += OutboxMessageSize(message).total
                    messages.append(message)
                    sent.append(
                        Sent(
                            id: row.id, key: row.key, topic: row.topic, eventType: row.eventType,
                            headers: message.headers, isBlocker: isBlocker)
                    )
                    if tracing { spans.append(publishSpan(row, message: message)) }
                case .failure(let failure):
                    try await block(
                        id: row.id, key: row.key, topic: row.topic, eventType: row.eventType, code: failure.code,
                        reason: failure.reason,
                        event: EventLogMetadata.of(
                            headers: (try? OutboxHeaders.decode(row.headersText)) ?? [], eventID: row.eventID),
                        on: work)
                }
            }
            guard !messages.isEmpty else { continue }
            let deliveries = await producer.enqueueBatch(messages)
            inFlight.append(Batch(rows: sent, bytes: bytes, deliveries: deliveries, spans: spans))
            inFlightBytes += bytes
        }
    }

    /// The `relay publish` span of `row` (kind producer): a child of the trace context the row
    /// stores, linked to it, ended when the delivery report arrives.
    private func publishSpan(_ row: OutboxRow, message: KafkaProducerMessage) -> any Span {
        TraceContextPropagation.startSpan(
            "relay publish \(row.topic)", continuingHeaders: message.headers, ofKind: .producer,
            attributes: OutboxSpanAttributes.publish(
                rowID: row.id, topic: row.topic, key: row.key, eventType: row.eventType, headers: message.headers,
                table: schema.table))
    }

    struct Unpublishable: Error {
        var code: String
        var reason: String
    }

    /// The row's message, or why it can never be published as it is.
    private mutating func check(_ row: OutboxRow) async -> Result<KafkaProducerMessage, Unpublishable> {
        let message: KafkaProducerMessage
        do {
            message = try row.message(defaultSource: configuration.defaultSource)
        } catch let error as OutboxError {
            return .failure(Unpublishable(code: error.code.description, reason: error.message))
        } catch {
            return .failure(Unpublishable(code: OutboxError.Code.malformedRow.description, reason: "\(error)"))
        }
        let size = OutboxMessageSize(message)
        if let violation = size.violation(
            maxMessageBytes: configuration.producer.maxMessageBytes,
            maxHeaderBytes: configuration.producer.maxHeaderBytes)
        {
            return .failure(Unpublishable(code: OutboxError.Code.tooLarge.description, reason: violation))
        }
        if let declared = configuration.declaredTopics, declared[row.eventType]?.contains(row.topic) != true {
            return .failure(
                Unpublishable(
                    code: OutboxError.Code.undeclaredTopic.description,
                    reason: "topics/ does not declare \(row.eventType) on topic \(row.topic)"))
        }
        if await brokerTopics.exists(row.topic) == false {
            return .failure(
                Unpublishable(
                    code: OutboxError.Code.unknownTopic.description,
                    reason: "the broker has no topic \(row.topic)"))
        }
        return .success(message)
    }

    /// Blocks the key of row `id` (or records another failed attempt of its blocker), logs it
    /// once per block and once per retry, and stores it for `choreo relay status`.
    private mutating func block(
        id: Int64, key: String?, topic: String, eventType: String, code: String, reason: String,
        event: Logger.Metadata, on work: PostgresConnection
    ) async throws {
        let (block, isNew) = blocks.recordFailure(
            id: id, key: key, topic: topic, eventType: eventType, code: code, reason: reason)
        blocksChanged = true
        let delay = blocks.backoff(afterAttempts: block.attempts)
        let metadata: Logger.Metadata = event.merging([
            "key": "\(key ?? "<none>")", "id": "\(id)", "topic": "\(topic)", "type": "\(eventType)", "code": "\(code)",
            "reason": "\(reason)", "attempts": "\(block.attempts)", "retry_in": "\(delay)",
        ]) { _, new in new }
        if isNew {
            logger.error(
                "outbox row cannot be published; its key is blocked, later rows of the key wait", metadata: metadata)
            // The key's rows leave the count: stop reading ahead and start a new run.
            accepting = false
        } else {
            logger.warning("outbox key still blocked; retrying with backoff", metadata: metadata)
        }
        try await store.save(block, on: work)
    }

    /// Releases keys whose due blocker is no longer pending (an operator deleted it).
    private mutating func releaseGoneBlockers(on work: PostgresConnection) async throws {
        let due = blocks.filter(now: .now).dueIDs
        guard !due.isEmpty else { return }
        let rows = try await work.query(
            "SELECT id FROM \(unsafeSQL: schema.table) WHERE id = ANY(\(due)::bigint[]) AND delivered_at IS NULL")
        let pending = Set(try rows.map { try $0.decode(Int64.self, column: 0) })
        for id in due where !pending.contains(id) {
            guard let block = blocks.remove(id: id) else { continue }
            blocksChanged = true
            try await store.delete(id: id, on: work)
            logger.notice(
                "outbox key released: its blocking row is gone",
                metadata: ["key": "\(block.key ?? "<none>")", "id": "\(id)"])
        }
    }

    /// Awaits the oldest batch, removes its done rows, and reports what happened.
    mutating func completeOldest(on work: PostgresConnection, producerFatal: () -> Bool) async throws -> Completion {
        let batch = inFlight.removeFirst()
        inFlightBytes -= batch.bytes
        let results = await batch.deliveries.wait()
        for (span, result) in zip(batch.spans, results) { span.end(delivery: result) }
        var completion = Completion()
        var succeeded = Array(repeating: false, count: batch.rows.count)
        var permanent: [(Int, KafkaError)] = []
        for (position, result) in results.enumerated() {
            switch result {
            case .success: succeeded[position] = true
            case .failure(let error):
                completion.failed += 1
                if completion.firstError == nil { completion.firstError = error }
                if error.isFatal { completion.fatal = true }
                if error.isPermanentForMessage || batch.rows[position].isBlocker { permanent.append((position, error)) }
            }
        }
        if producerFatal() { completion.fatal = true }
        let outcome = OutboxDeliveryOutcome(
            rows: batch.rows.map { ($0.id, $0.key) }, succeeded: succeeded, blockedKeys: &runBlockedKeys)
        try await remove(outcome.delivered, on: work)
        for (position, row) in batch.rows.enumerated() where row.isBlocker && succeeded[position] {
            if blocks.remove(id: row.id) != nil {
                blocksChanged = true
                try await store.delete(id: row.id, on: work)
                logger.notice(
                    "outbox key released: its blocking row was delivered",
                    metadata: EventLogMetadata.of(headers: row.headers).merging([
                        "key": "\(row.key ?? "<none>")", "id": "\(row.id)",
                    ]) { _, new in new })
            }
        }
        for (position, error) in permanent {
            let row = batch.rows[position]
            try await block(
                id: row.id, key: row.key, topic: row.topic, eventType: row.eventType,
                code: error.isPermanentForMessage ? "delivery-refused" : "delivery-failed", reason: "\(error)",
                event: EventLogMetadata.of(headers: row.headers), on: work)
        }
        let delivered = Set(outcome.delivered)
        outstanding -= batch.rows.reduce(0) { $0 + (!$1.isBlocker && delivered.contains($1.id) ? 1 : 0) }
        completion.delivered = outcome.delivered.count
        completion.retained = outcome.retained.count
        if !outcome.retained.isEmpty || completion.fatal {
            // Stop reading ahead: drain, then start again from the oldest pending row.
            accepting = false
            // Rows that now block their key wait for their own backoff, not the run's.
            if permanent.count < completion.failed || completion.fatal { runHadFailures = true }
        }
        if completion.fatal { runHadFatal = true }
        return completion
    }

    /// Rows above the high-water mark (at most `batchSize`, and at most `byteBudget` bytes of
    /// payload and key beyond the first row), and whether the pending rows at or below it
    /// changed. Rows of blocked keys are left out, except blockers due for an attempt.
    private func fetch(on work: PostgresConnection, byteBudget: Int) async throws -> (rows: [OutboxRow], late: Bool) {
        let limit = configuration.batchSize
        let mark = highWaterMark ?? 0
        // Two statements, not one with a switch: a prepared statement's generic plan cannot
        // fold the block filter away, and measurably slowed the common case (no block).
        let columns = "id, event_id, topic, partition_key, event_type, headers::text, payload::text, created_at"
        let sized = """
            row_number() OVER w AS n,
            sum(octet_length(payload::text) + COALESCE(octet_length(partition_key), 0)) OVER w AS running
            """
        // The late-commit check asks only whether the pending rows at or below the mark are
        // the `outstanding` ones, so it counts at most one more. The bound also makes the
        // count an ordered index scan, which marks the index entries of removed rows dead as
        // it passes them; a bitmap scan visited every removed row's heap tuple again on each
        // read until vacuum, and cost the relays 1–4 ms a read under load (docs/benchmarks.md).
        let countCap = Int64(outstanding) + 1
        let result: PostgresRows
        if blocks.isEmpty {
            result = try await work.query(
                """
                SELECT \(unsafeSQL: columns),
                       (SELECT count(*) FROM (
                            SELECT 1 FROM \(unsafeSQL: schema.table) WHERE delivered_at IS NULL AND id <= \(mark)
                            ORDER BY id LIMIT \(countCap)) counted)::bigint
                FROM (SELECT *, \(unsafeSQL: sized) FROM (
                        SELECT * FROM \(unsafeSQL: schema.table) WHERE delivered_at IS NULL AND id > \(mark)
                        ORDER BY id LIMIT \(limit)) page WINDOW w AS (ORDER BY id)) paged
                WHERE n = 1 OR running <= \(Int64(byteBudget)) ORDER BY id
                """)
        } else {
            let filter = blocks.filter(now: .now)
            result = try await work.query(
                """
                SELECT \(unsafeSQL: columns),
                       (SELECT count(*) FROM (
                            SELECT 1 FROM \(unsafeSQL: schema.table) WHERE delivered_at IS NULL AND id <= \(mark)
                              AND (partition_key IS NULL OR partition_key <> ALL(\(filter.keys)::text[]))
                              AND id <> ALL(\(filter.keylessIDs)::bigint[])
                            ORDER BY id LIMIT \(countCap)) counted)::bigint
                FROM (SELECT *, \(unsafeSQL: sized) FROM (
                        SELECT * FROM \(unsafeSQL: schema.table) WHERE delivered_at IS NULL AND id > \(mark)
                          AND ((partition_key IS NULL OR partition_key <> ALL(\(filter.keys)::text[]))
                                AND id <> ALL(\(filter.keylessIDs)::bigint[])
                               OR id = ANY(\(filter.dueIDs)::bigint[]))
                        ORDER BY id LIMIT \(limit)) page WINDOW w AS (ORDER BY id)) paged
                WHERE n = 1 OR running <= \(Int64(byteBudget)) ORDER BY id
                """)
        }
        if highWaterMark != nil, let first = result.first, try first.decode(Int64.self, column: 8) != Int64(outstanding)
        {
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
        for batch in inFlight {
            _ = await batch.deliveries.wait()
            for span in batch.spans {
                span.fail(message: "abandoned: the relay lost its database; the row stays pending")
            }
        }
        inFlight = []
        inFlightBytes = 0
    }
}
