import Contracts
import Foundation
import Kafka
import Logging
import Postgres
import ServiceLifecycle
import Synchronization

/// Runs one instance of a consumer group: idempotent, batched, with retry topics and
/// dead letters.
///
/// For each polled batch:
/// 1. every message is classified: undecodable, unknown-type and contract-violating
///    messages are dead-lettered at once; retries not yet due pause their partition;
/// 2. one database transaction inserts the batch's `processed_events` rows in one
///    statement (a conflict means a duplicate: skipped), runs each new event's handler
///    (its writes and outbox rows share the transaction) and commits;
/// 3. failed events go to the next retry topic, or to the dead-letter topic when they
///    are permanent or out of attempts; those deliveries are awaited;
/// 4. only then are the Kafka offsets committed.
///
/// A transient failure (database or broker unreachable, serialization failure) pauses
/// the batch's partitions and retries the same batch in place with backoff: outages never
/// dead-letter. Graceful shutdown finishes the current batch, commits and leaves the group.
public final class ConsumerRuntime: Service, Sendable {
    public let configuration: ConsumerConfiguration
    private let logger: Logger
    private let classifier: MessageClassifier
    private let stats = Mutex(ConsumerMetrics())
    private let stopping = Mutex(false)
    private let assigned = Mutex<Set<KafkaTopicPartition>>([])
    private let batchTransaction: BatchTransaction

    public init(configuration: ConsumerConfiguration, logger: Logger? = nil) throws {
        self.configuration = try configuration.validated()
        self.logger = logger ?? Logger(label: "choreo.consumer.\(configuration.group)")
        self.classifier = MessageClassifier(
            registry: configuration.registry, upcasters: configuration.upcasters,
            handlers: configuration.handlers, retryTopics: Set(configuration.retryTopics))
        self.batchTransaction = BatchTransaction(
            group: configuration.group, writer: configuration.writer, optimistic: configuration.optimisticBatches,
            parking: configuration.preserveKeyOrder
                ? ParkingLot(group: configuration.group, classifier: classifier, logger: self.logger) : nil)
    }

    /// Counters since start. Safe from any task.
    public var metrics: ConsumerMetrics { stats.withLock { $0 } }

    /// Partitions currently assigned to this instance.
    public var assignment: Set<KafkaTopicPartition> { assigned.withLock { $0 } }

    /// Finishes the current batch, commits, leaves the group; `run()` then returns.
    public func requestStop() { stopping.withLock { $0 = true } }

    private var isStopping: Bool { stopping.withLock { $0 } }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await runLoop()
            } onCancel: {
                self.requestStop()
            }
        } onGracefulShutdown: {
            self.requestStop()
        }
    }

    private func runLoop() async throws {
        var consumerConfiguration = KafkaConsumerConfiguration(
            client: configuration.kafka, groupID: configuration.group)
        consumerConfiguration.autoOffsetReset = .earliest
        consumerConfiguration.sessionTimeout = configuration.sessionTimeout
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        consumer.setRebalanceHandler { event in
            self.assigned.withLock { set in
                switch event {
                case .assigned(let partitions): set.formUnion(partitions)
                case .revoked(let partitions), .lost(let partitions): set.subtract(partitions)
                }
            }
        }
        try consumer.subscribe(topics: configuration.topics + configuration.retryTopics)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: configuration.kafka), logger: logger)
        var state = LoopState(backoff: configuration.initialBackoff)
        defer { if let connection = state.connection { Task { await connection.close() } } }
        do {
            while !isStopping {
                resumeDuePartitions(consumer: consumer, state: &state)
                try await releaseOrphans(producer: producer, state: &state)
                await cleanUpProcessedEvents(state: &state)
                let messages = try await consumer.poll(
                    maxMessages: configuration.batchSize, timeout: pollTimeout(state))
                guard !messages.isEmpty else { continue }
                try await processWithRetries(messages, consumer: consumer, producer: producer, state: &state)
            }
        } catch {
            await consumer.close()
            await producer.shutdown()
            throw error
        }
        await consumer.close()
        await producer.shutdown()
    }

    struct LoopState {
        var backoff: Duration
        var connection: PostgresConnection?
        /// Retry partitions paused until their head message is due.
        var pausedUntil: [KafkaTopicPartition: Date] = [:]
        var lastOrphanCheck = ContinuousClock.now
        var lastCleanup: ContinuousClock.Instant?
    }

    /// Hourly: deletes processed-event rows older than `processedRetention`.
    private func cleanUpProcessedEvents(state: inout LoopState) async {
        guard let retention = configuration.processedRetention else { return }
        if let last = state.lastCleanup, ContinuousClock.now - last < .seconds(3600) { return }
        state.lastCleanup = .now
        do {
            let database = try await connection(&state)
            let deleted = try await ProcessedEventsCleanup(group: configuration.group, horizon: retention).run(
                on: database)
            if deleted > 0 {
                logger.info("processed-event rows past retention deleted", metadata: ["rows": "\(deleted)"])
            }
        } catch {
            logger.warning("processed-event cleanup failed; will retry in an hour", metadata: ["error": "\(error)"])
        }
    }

    /// Order-preserving mode: every few seconds, applies parked events whose blocker's dead
    /// letter was discarded. Transient failures are left for the next check.
    private func releaseOrphans(producer: KafkaProducer, state: inout LoopState) async throws {
        guard let parking = batchTransaction.parking, ContinuousClock.now - state.lastOrphanCheck >= .seconds(5) else {
            return
        }
        state.lastOrphanCheck = .now
        do {
            let database = try await connection(&state)
            for key in try await parking.orphanedKeys(on: database) {
                let released = try await database.withTransaction { tx in
                    let released = try await parking.release(key: key, on: tx) { planned in
                        try await self.batchTransaction.handle(planned, savepoint: true, buffer: nil, on: tx)
                    }
                    if !released.failures.isEmpty {
                        let failed = released.failures.map(\.planned.event.envelope.id)
                        try await tx.execute(
                            "DELETE FROM processed_events WHERE consumer_group = \(configuration.group) AND event_id = ANY(\(failed)::uuid[])"
                        )
                    }
                    return released
                }
                stats.withLock { $0.handled += released.handled }
                let outgoing = released.failures.map(route)
                for result in await producer.sendBatch(outgoing.map(\.message)) { _ = try result.get() }
            }
        } catch  where TransientFailure.isTransient(error) {
            logger.debug("releasing parked events deferred", metadata: ["error": "\(error)"])
        }
    }

    private func pollTimeout(_ state: LoopState) -> Duration {
        guard let next = state.pausedUntil.values.min() else { return configuration.pollTimeout }
        let untilDue = Duration.milliseconds(Int64(max(0, next.timeIntervalSinceNow) * 1000))
        return min(configuration.pollTimeout, max(.milliseconds(1), untilDue))
    }

    private func resumeDuePartitions(consumer: KafkaConsumer, state: inout LoopState) {
        let now = Date()
        let due = state.pausedUntil.filter { $0.value <= now }.map(\.key)
        guard !due.isEmpty else { return }
        for partition in due { state.pausedUntil[partition] = nil }
        do { try consumer.resume(due) } catch {
            logger.warning("cannot resume retry partitions", metadata: ["error": "\(error)"])
        }
    }

    /// Processes a batch; on a transient failure, pauses, backs off and tries the same
    /// batch again until it succeeds or the runtime stops (then nothing is committed and
    /// the batch is redelivered to whoever owns the partitions next).
    private func processWithRetries(
        _ messages: [KafkaConsumerMessage], consumer: KafkaConsumer, producer: KafkaProducer, state: inout LoopState
    ) async throws {
        var failing = false
        while true {
            do {
                try await process(messages, consumer: consumer, producer: producer, state: &state)
                if failing {
                    logger.info("consumer recovered; processing resumed", metadata: ["group": "\(configuration.group)"])
                    try? consumer.resume(Array(assignment))
                }
                state.backoff = configuration.initialBackoff
                return
            } catch  where TransientFailure.isTransient(error) {
                stats.withLock { $0.transientFailures += 1 }
                if !failing {
                    logger.warning(
                        "transient failure; pausing partitions and retrying the batch in place",
                        metadata: ["group": "\(configuration.group)", "error": "\(error)"])
                    failing = true
                }
                if let connection = state.connection, connection.isClosed { state.connection = nil }
                if error is PostgresError, let connection = state.connection {
                    await connection.close()
                    state.connection = nil
                }
                try await idle(consumer: consumer, pausing: messages, for: state.backoff)
                state.backoff = min(state.backoff * 2, configuration.maximumBackoff)
                if isStopping {
                    rewind(messages, consumer: consumer)
                    return
                }
            }
        }
    }

    /// Keeps the group membership alive while waiting: pauses the batch's partitions and
    /// polls (which serves rebalances) for `duration`; anything polled meanwhile is rewound.
    private func idle(consumer: KafkaConsumer, pausing messages: [KafkaConsumerMessage], for duration: Duration)
        async throws
    {
        let partitions = Array(Set(messages.map { KafkaTopicPartition(topic: $0.topic, partition: $0.partition) }))
        try? consumer.pause(partitions)
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline && !isStopping {
            let stray = try await consumer.poll(maxMessages: 100, timeout: min(duration, .milliseconds(200)))
            rewind(stray, consumer: consumer)
        }
        try? consumer.resume(partitions)
    }

    /// Seeks every partition in `messages` back to its first message there.
    private func rewind(_ messages: [KafkaConsumerMessage], consumer: KafkaConsumer) {
        var first: [KafkaTopicPartition: Int64] = [:]
        for message in messages {
            let partition = KafkaTopicPartition(topic: message.topic, partition: message.partition)
            first[partition] = min(first[partition] ?? message.offset, message.offset)
        }
        for (partition, offset) in first {
            try? consumer.seek(
                KafkaTopicPartitionOffset(topic: partition.topic, partition: partition.partition, offset: offset))
        }
    }

    private func connection(_ state: inout LoopState) async throws -> PostgresConnection {
        if let connection = state.connection, !connection.isClosed { return connection }
        let connection = try await PostgresConnection.connect(
            configuration: configuration.database.withWorkTimeouts(), logger: logger)
        state.connection = connection
        return connection
    }

    // MARK: - One batch

    private func process(
        _ messages: [KafkaConsumerMessage], consumer: KafkaConsumer, producer: KafkaProducer, state: inout LoopState
    ) async throws {
        var plan = BatchPlan()
        var cut: Set<KafkaTopicPartition> = []
        let now = Date()
        for message in messages {
            let partition = KafkaTopicPartition(topic: message.topic, partition: message.partition)
            if cut.contains(partition) { continue }
            switch classifier.classify(message, now: now) {
            case .notDue(let due):
                // Wait for it without blocking other partitions: rewind and pause this one.
                cut.insert(partition)
                plan.commitOffsets[partition] = message.offset
                state.pausedUntil[partition] = due
                try consumer.seek(
                    KafkaTopicPartitionOffset(
                        topic: message.topic, partition: message.partition, offset: message.offset))
                try consumer.pause([partition])
                continue
            case .deadLetter(let reason, let error, let attempt):
                plan.outgoing.append(deadLetter(message, reason: reason, error: error, attempts: attempt))
            case .handle(let event, let handler):
                plan.events.append(PlannedEvent(event: event, handler: handler, message: message))
            }
            plan.commitOffsets[partition] = message.offset + 1
        }
        if !plan.events.isEmpty {
            let database = try await connection(&state)
            // The whole batch runs on the connection's own thread: handlers' statements call
            // libpq directly instead of hopping threads twice per statement.
            let transaction = batchTransaction
            let events = plan.events
            let results = try await withTaskExecutorPreference(database.executor) {
                try await transaction.run(events, on: database)
            }
            stats.withLock {
                $0.handled += results.handled
                $0.duplicates += results.duplicates
                $0.parked += results.parked
                if results.redone { $0.batchRedos += 1 }
            }
            for failure in results.failures {
                plan.outgoing.append(route(failure))
            }
        }
        if !plan.outgoing.isEmpty {
            for result in await producer.sendBatch(plan.outgoing.map(\.message)) {
                if case .failure(let error) = result {
                    throw ConsumerError(
                        code: .deadLetterFailed, message: "cannot publish a retry or dead letter", underlying: error)
                }
            }
            stats.withLock { stats in
                for outgoing in plan.outgoing {
                    if outgoing.isDeadLetter { stats.deadLettered += 1 } else { stats.retried += 1 }
                }
            }
        }
        let offsets = plan.commitOffsets.map {
            KafkaTopicPartitionOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value)
        }
        if !offsets.isEmpty {
            do {
                try await consumer.commit(offsets)
            } catch {
                // The effects are committed in the database; a lost offset commit (a rebalance
                // moved the partitions, or the coordinator is unreachable) only means these
                // messages may be redelivered, and the processed-event rows make that harmless.
                logger.info(
                    "offset commit failed; the batch may be redelivered and skipped as duplicates",
                    metadata: ["group": "\(configuration.group)", "error": "\(error)"])
            }
        }
        stats.withLock { $0.batches += 1 }
    }

    struct Outgoing {
        var message: KafkaProducerMessage
        var isDeadLetter: Bool
    }

    struct BatchPlan {
        var events: [PlannedEvent] = []
        var outgoing: [Outgoing] = []
        var commitOffsets: [KafkaTopicPartition: Int64] = [:]
    }

    /// A failed handler call → the next retry topic, or the dead-letter topic.
    private func route(_ failure: BatchTransaction.Failure) -> Outgoing {
        let attempt = failure.planned.event.attempt
        if failure.isPermanent {
            return deadLetter(failure.planned.message, reason: .handlerError, error: failure.error, attempts: attempt)
        }
        guard attempt <= configuration.retry.delays.count else {
            return deadLetter(
                failure.planned.message, reason: .retriesExhausted, error: failure.error, attempts: attempt)
        }
        let delay = configuration.retry.delays[attempt - 1]
        let message = failure.planned.message
        let origin = MessageOrigin(message, fromRetryTopic: classifier.retryTopics.contains(message.topic))
        let due = Date().addingTimeInterval(
            Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
        var headers = RetryHeaders.original(message.headers)
        headers += [
            KafkaHeader(key: RetryHeaders.attempt, string: String(attempt + 1)),
            KafkaHeader(key: RetryHeaders.dueAt, string: RetryHeaders.epochMilliseconds(due)),
            KafkaHeader(key: RetryHeaders.originalTopic, string: origin.topic),
            KafkaHeader(key: RetryHeaders.originalPartition, string: String(origin.partition)),
            KafkaHeader(key: RetryHeaders.originalOffset, string: String(origin.offset)),
            KafkaHeader(key: RetryHeaders.lastError, string: RetryHeaders.bounded(failure.error)),
        ]
        return Outgoing(
            message: KafkaProducerMessage(
                topic: RetryPolicy.retryTopic(group: configuration.group, delay: delay), partition: nil,
                key: message.key, value: message.value, headers: headers),
            isDeadLetter: false)
    }

    /// The dead letter of `message`: its key, value and headers, plus the `dlq_*` headers.
    private func deadLetter(_ message: KafkaConsumerMessage, reason: DeadLetterReason, error: String, attempts: Int)
        -> Outgoing
    {
        let origin = MessageOrigin(message, fromRetryTopic: classifier.retryTopics.contains(message.topic))
        var headers = RetryHeaders.original(message.headers)
        headers += [
            KafkaHeader(key: "dlq_original_topic", string: origin.topic),
            KafkaHeader(key: "dlq_original_partition", string: String(origin.partition)),
            KafkaHeader(key: "dlq_original_offset", string: String(origin.offset)),
            KafkaHeader(key: "dlq_consumer_group", string: configuration.group),
            KafkaHeader(key: "dlq_reason", string: reason.rawValue),
            KafkaHeader(key: "dlq_error", string: RetryHeaders.bounded(error)),
            KafkaHeader(key: "dlq_attempts", string: String(attempts)),
            KafkaHeader(
                key: "dlq_failed_at",
                string: Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
        ]
        logger.warning(
            "dead-lettering a message",
            metadata: [
                "reason": "\(reason)", "topic": "\(origin.topic)", "partition": "\(origin.partition)",
                "offset": "\(origin.offset)",
            ])
        return Outgoing(
            message: KafkaProducerMessage(
                topic: configuration.resolvedDeadLetterTopic, partition: nil, key: message.key, value: message.value,
                headers: headers),
            isDeadLetter: true)
    }
}
