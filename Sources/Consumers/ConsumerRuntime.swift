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
/// 1. every message is classified: messages over the limits (`oversized`), undecodable,
///    unknown-type, wrong-topic and contract-violating messages are dead-lettered at once;
///    valid events of types the group does not handle are skipped; retries not yet due
///    pause their partition;
/// 2. one database transaction inserts the batch's `processed_events` rows in one
///    statement (a conflict means a duplicate: skipped), runs each new event's handler
///    (its writes and outbox rows share the transaction) and commits;
/// 3. failed events go to the next retry topic, or to the dead-letter topic when they
///    are permanent or out of attempts; those deliveries are awaited;
/// 4. only then are the Kafka offsets committed.
///
/// A transient failure (database or broker unreachable, serialization failure) pauses
/// the batch's partitions and retries the same batch in place with backoff: outages never
/// dead-letter. A retry or dead letter the producer refuses for good (too large, unknown
/// topic) is dead-lettered cut down; one it cannot deliver for now holds back only its own
/// partition. Graceful shutdown finishes the current batch, commits and leaves the group.
///
/// Clients: the database connection and the producer of retries and dead letters come from
/// ``ConsumerClients``: injected (a hosted service's instances share one pool and one
/// producer, closed by their owner after the instances stopped), or, without one, private
/// to each run and closed when it ends. Either way every close is awaited before `run()`
/// returns.
public final class ConsumerRuntime: Service, Sendable {
    public let configuration: ConsumerConfiguration
    let logger: Logger
    let classifier: MessageClassifier
    let router: FailureRouter
    let stats = Mutex(ConsumerMetrics())
    let instruments: ConsumerInstruments
    /// Whether the instance has joined its group: set by the first assignment (possibly
    /// empty, when the group has more instances than partitions), cleared by a revocation.
    private let joined = Mutex(false)
    private let stopping = Mutex(false)
    private let assigned = Mutex<Set<KafkaTopicPartition>>([])
    let producerBox = Mutex<ProducerLease?>(nil)
    /// The injected clients; `nil`: each run makes private ones.
    let injectedClients: ConsumerClients?
    /// The clients of the run in progress.
    private let runClients = Mutex<ConsumerClients?>(nil)
    /// The open database connection, for `closeConnectionAfterGrace()`.
    let currentConnection = Mutex<PostgresConnection?>(nil)
    let batchTransaction: BatchTransaction
    /// Order-preserving mode's tables; `nil` otherwise.
    let parking: ParkingLot?

    /// - Parameter clients: the pool and producer to use (a hosted service's, shared by its
    ///   instances; `configuration.database` and `.kafka` then only describe them); `nil`:
    ///   each run opens private ones from `configuration`.
    public init(configuration: ConsumerConfiguration, clients: ConsumerClients? = nil, logger: Logger? = nil) throws {
        self.configuration = try configuration.validated()
        self.injectedClients = clients
        self.logger = logger ?? Logger(label: "choreo.consumer.\(configuration.group)")
        self.instruments = ConsumerInstruments(group: configuration.group)
        let pipeline = ConsumerPipeline(
            configuration: self.configuration, instruments: instruments, logger: self.logger)
        self.classifier = pipeline.classifier
        self.router = pipeline.router
        self.parking = pipeline.parking
        self.batchTransaction = pipeline.transaction
    }

    /// Counters since start. Safe from any task.
    public var metrics: ConsumerMetrics { stats.withLock { $0 } }

    /// Partitions currently assigned to this instance.
    public var assignment: Set<KafkaTopicPartition> { assigned.withLock { $0 } }

    /// Whether this instance is in its group: it received an assignment (with partitions, or
    /// legitimately none) since it last lost or gave up its partitions. For readiness probes.
    public var hasJoinedGroup: Bool { joined.withLock { $0 } }

    /// Finishes the current batch, commits, leaves the group; `run()` then returns.
    public func requestStop() { stopping.withLock { $0 = true } }

    var isStopping: Bool { stopping.withLock { $0 } }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await self.closeConnectionAfterGrace() }
                    try await runLoop()
                    group.cancelAll()
                }
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
        consumerConfiguration.fetchMaxWait = configuration.fetchMaxWait
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        consumer.setRebalanceHandler { event in
            self.assigned.withLock { set in
                switch event {
                case .assigned(let partitions): set.formUnion(partitions)
                case .revoked(let partitions), .lost(let partitions): set.subtract(partitions)
                }
            }
            self.joined.withLock { joined in
                if case .assigned = event { joined = true } else { joined = false }
            }
        }
        try consumer.subscribe(
            topics: configuration.topics + configuration.retryTopics
                + [RetryPolicy.replayTopic(group: configuration.group)])
        let clients = injectedClients ?? ConsumerClients.standalone(for: configuration, logger: logger)
        do {
            try clients.producer.open()
        } catch {
            await consumer.close()
            if injectedClients == nil { await clients.close() }
            throw error
        }
        runClients.withLock { $0 = clients }
        var state = LoopState(backoff: configuration.initialBackoff, producer: ProducerLease(shared: clients.producer))
        producerBox.withLock { $0 = state.producer }
        do {
            while !isStopping {
                resumeDuePartitions(consumer: consumer, state: &state)
                try await releaseOrphans(state: &state)
                await cleanUpProcessedEvents(state: &state)
                let messages = try await consumer.poll(
                    maxMessages: configuration.batchSize, timeout: pollTimeout(state))
                guard !messages.isEmpty else { continue }
                try await processWithRetries(messages, consumer: consumer, state: &state)
            }
        } catch {
            await finish(consumer: consumer, clients: clients, state: &state)
            throw error
        }
        await finish(consumer: consumer, clients: clients, state: &state)
    }

    /// Every exit of the run loop: leaves the group, gives the database connection back and,
    /// when the clients are the run's own, closes them — each awaited.
    private func finish(consumer: KafkaConsumer, clients: ConsumerClients, state: inout LoopState) async {
        await consumer.close()
        if let held = state.held {
            state.held = nil
            state.connection = nil
            currentConnection.withLock { $0 = nil }
            await clients.pool.release(held)
        }
        producerBox.withLock { $0 = nil }
        runClients.withLock { $0 = nil }
        if injectedClients == nil { await clients.close() }
        logger.info("consumer stopped", metadata: ["group": "\(configuration.group)"])
    }

    /// A lease on the run's producer of retries and dead letters (after a fatal error, the
    /// shared producer replaces its handle once for every instance).
    /// - Throws: `KafkaError.closed` outside a run.
    func makeProducer() throws -> ProducerLease {
        guard let clients = runClients.withLock({ $0 }) else {
            throw KafkaError(code: .closed, message: "the consumer is not running")
        }
        return ProducerLease(shared: clients.producer)
    }

    /// Test hook: makes librdkafka raise a fatal error on the current producer
    /// (`rd_kafka_test_fatal_error`), as a spurious idempotence failure would.
    public func _injectFatalProducerError() {
        let producer = producerBox.withLock { $0 }
        try? producer?.shared._injectFatalError()
    }

    struct LoopState {
        var backoff: Duration
        /// The producer of retries and dead letters; a fresh lease after a fatal error.
        var producer: ProducerLease
        /// The connection in use; `nil` after it failed.
        var connection: PostgresConnection?
        /// The connection acquired from the pool, given back when replaced or at the end.
        var held: PostgresConnection?
        /// Retry partitions paused until their head message is due.
        var pausedUntil: [KafkaTopicPartition: Date] = [:]
        var lastOrphanCheck: ContinuousClock.Instant?
        var lastCleanup: ContinuousClock.Instant?
        /// Partitions held back after a transient publish failure: attempts and next backoff.
        var publishFailures: [KafkaTopicPartition: (count: Int, backoff: Duration)] = [:]
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

    /// Order-preserving mode: every few seconds (and first at start), publishes the recorded
    /// publications of released events that failed, and applies parked events whose
    /// blocker was released. Transient failures are left for the next check.
    private func releaseOrphans(state: inout LoopState) async throws {
        guard let parking,
            state.lastOrphanCheck.map({ ContinuousClock.now - $0 >= .seconds(5) }) ?? true
        else { return }
        state.lastOrphanCheck = .now
        await publishParked(state: &state)
        do {
            let database = try await connection(&state)
            instruments.parkedKeys.record(try await parking.blockedKeyCount(on: database))
            var recorded = 0
            for key in try await parking.orphanedKeys(on: database) {
                let transaction = batchTransaction
                // The handlers' after-commit actions (the applied count among them) run once
                // the release commits.
                let committed = AfterCommitActions()
                let released = try await AfterCommitActions.$current.withValue(committed) {
                    try await database.withTransaction { tx in
                        var released = try await transaction.release(
                            key: key, blocker: nil, savepoint: true, buffer: nil, on: tx)
                        if let failure = released.failure {
                            let failed = [failure.planned.event.envelope.id]
                            try await tx.execute(
                                "DELETE FROM processed_events WHERE consumer_group = \(configuration.group) AND event_id = ANY(\(failed)::uuid[])"
                            )
                            released.stillBlocked = true
                        }
                        return released
                    }
                }
                committed.run()
                stats.withLock { $0.handled += released.handled }
                if released.failure != nil { recorded += 1 }
            }
            if recorded > 0 {
                configuration._afterParkedPublicationCommit?()
                await publishParked(state: &state)
            }
        } catch  where isTransient(error) {
            logger.debug("releasing parked events deferred", metadata: ["error": "\(error)"])
        }
    }

    /// Publishes the recorded publications (`parked_publications`) and deletes those
    /// delivered. What cannot be delivered now stays for the next check.
    func publishParked(state: inout LoopState) async {
        guard let parking else { return }
        do {
            let database = try await connection(&state)
            let publications = try await parking.publications(on: database)
            guard !publications.isEmpty else { return }
            let outgoing = publications.map { publication -> Outgoing in
                var outgoing = router.route(
                    publication.message, attempt: publication.attempt, error: publication.error,
                    isPermanent: publication.isPermanent)
                outgoing.pendingSeq = publication.seq
                return outgoing
            }
            let undelivered = try await deliver(outgoing, state: &state)
            let failed = Set(undelivered.compactMap { $0.0.pendingSeq })
            try await parking.deletePublications(
                publications.map(\.seq).filter { !failed.contains($0) }, on: database)
            if let (_, error) = undelivered.first {
                logger.warning(
                    "a released event's retry could not be published; it stays recorded and is sent again",
                    metadata: ["group": "\(configuration.group)", "count": "\(failed.count)", "error": "\(error)"])
            }
        } catch {
            logger.warning(
                "publishing recorded retries of released events deferred",
                metadata: ["group": "\(configuration.group)", "error": "\(error)"])
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
    /// the batch is redelivered to whoever owns the partitions next). The waits poll, so a
    /// rebalance may revoke partitions meanwhile: each new attempt keeps only the messages
    /// of partitions this instance still owns, so it neither publishes retries nor commits
    /// offsets for the others.
    private func processWithRetries(
        _ messages: [KafkaConsumerMessage], consumer: KafkaConsumer, state: inout LoopState
    ) async throws {
        var failing = false
        var messages = messages
        while true {
            do {
                let committed = try await process(messages, consumer: consumer, state: &state)
                if failing {
                    logger.info("consumer recovered; processing resumed", metadata: ["group": "\(configuration.group)"])
                    // A rebalance during the wait restarts reassigned partitions at their last
                    // committed offset: move them past what was just committed.
                    for offset in committed { try? consumer.seek(offset) }
                    try? consumer.resume(Array(assignment))
                }
                state.backoff = configuration.initialBackoff
                return
            } catch  where isTransient(error) {
                stats.withLock { $0.transientFailures += 1 }
                instruments.transientFailures.increment()
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
                let owned = assignment
                let kept = messages.filter {
                    owned.contains(KafkaTopicPartition(topic: $0.topic, partition: $0.partition))
                }
                if kept.count < messages.count {
                    logger.info(
                        "partitions were revoked during the in-place retry; their messages are left to their new owner",
                        metadata: ["group": "\(configuration.group)", "dropped": "\(messages.count - kept.count)"])
                    stats.withLock { $0.revokedDuringRetry += messages.count - kept.count }
                    messages = kept
                }
                if messages.isEmpty { return }
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

    /// The connection this instance holds from the pool; a closed or dropped one is given
    /// back (freeing its place) and another acquired.
    func connection(_ state: inout LoopState) async throws -> PostgresConnection {
        if let connection = state.connection, !connection.isClosed { return connection }
        guard let pool = runClients.withLock({ $0?.pool }) else {
            throw PostgresError(code: .connectionClosed, message: "the consumer is not running")
        }
        if let held = state.held {
            state.held = nil
            state.connection = nil
            await held.close()
            await pool.release(held)
        }
        let connection = try await pool.acquire()
        state.held = connection
        state.connection = connection
        currentConnection.withLock { $0 = connection }
        return connection
    }
}
