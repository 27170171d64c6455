import Foundation
import Kafka
import Logging
import Postgres
import ServiceLifecycle
import Synchronization

/// Publishes the rows of one database's outbox to Kafka: at least once, in order per
/// partition key, never skipping a row that commits late.
///
/// - Exactly one relay per database is active: it holds a PostgreSQL advisory lock on a
///   dedicated session. Others stand by and take over within `standbyRetryInterval`
///   after the active one's session ends (a crash or `kill -9` included).
/// - The active relay waits on `LISTEN` (the table's insert trigger notifies), with a
///   polling fallback; it reads pending rows in id order, produces them with an
///   idempotent producer, awaits every delivery report and removes exactly the rows
///   `OutboxDeliveryOutcome` says are done.
/// - A row that can never be published blocks only its key (`OutboxBlockedKey`): the key's
///   later rows wait unpublished, other keys drain, and the row is retried with backoff.
/// - Messages in flight are bounded by bytes (`maxInFlightBytes`) as well as by rows.
/// - Outages of the database or the broker make it wait and retry with backoff; each
///   state change is logged once.
/// - Graceful shutdown (service-lifecycle or task cancellation) stops taking new
///   batches, lets the in-flight batch finish for `shutdownGracePeriod`, then abandons
///   it (its rows stay) and releases the lock.
/// - Connections: its lock session and its work connection come from a
///   `PostgresConnectionPool`: a hosted service's shared pool (``init(pool:configuration:schema:logger:)``),
///   or a private two-connection pool per run. The lock session is always closed, never
///   given back alive (it holds the advisory lock and the `LISTEN`); the work connection goes
///   back to the pool. Every close is awaited before `run()` returns.
/// - Producer: its own, not shared with the service's consumers. The relay's producer is
///   idempotent with its gapless ordering settings (`RelaySafetySettings`), and after a
///   fatal error the relay drops it and resumes from its oldest undelivered row: recreating
///   it is part of the relay's delivery bookkeeping, which a producer shared with (and
///   restarted by) consumers would break. It is created on first use and shut down when
///   `run()` ends.
public final class OutboxRelay: Service, Sendable {
    public let configuration: OutboxRelayConfiguration
    public let database: PostgresConfiguration
    public let schema: OutboxSchema
    private let logger: Logger
    private let stateLog: RelayStateLog
    private let stats = Mutex(OutboxRelayMetrics())
    private let stopping = Mutex(false)
    private let wake = WakeSignal()
    /// Set by the active state's listener when the lock session's notification stream ends.
    private let lockSessionEnded = Mutex(false)
    private let stopSignal = WakeSignal()
    private let electionFinished = WakeSignal()
    private let producerBox = Mutex<KafkaProducer?>(nil)
    /// The lock session and the work connection while lent, for the shutdown watchdog.
    private let openConnections = Mutex<[PostgresConnection]>([])
    /// The injected pool; `nil`: each run makes a private one.
    private let injectedPool: PostgresConnectionPool?
    private let instruments: RelayInstruments

    /// A relay that opens its own connections (a private pool per run) with the work
    /// timeouts (`withWorkTimeouts()`).
    /// - Throws: `OutboxError.configuration` for invalid settings.
    public convenience init(
        database: PostgresConfiguration,
        configuration: OutboxRelayConfiguration,
        schema: OutboxSchema = .standard,
        logger: Logger = Logger(label: "choreo.outbox.relay")
    ) throws {
        try self.init(
            database: database.withWorkTimeouts(), pool: nil, configuration: configuration, schema: schema,
            logger: logger)
    }

    /// A relay that draws its two connections from `pool` (a hosted service's shared pool,
    /// which its owner closes after the relay stopped). `pool.configuration` is the database.
    /// - Throws: `OutboxError.configuration` for invalid settings.
    public convenience init(
        pool: PostgresConnectionPool,
        configuration: OutboxRelayConfiguration,
        schema: OutboxSchema = .standard,
        logger: Logger = Logger(label: "choreo.outbox.relay")
    ) throws {
        try self.init(
            database: pool.configuration, pool: pool, configuration: configuration, schema: schema, logger: logger)
    }

    private init(
        database: PostgresConfiguration, pool: PostgresConnectionPool?, configuration: OutboxRelayConfiguration,
        schema: OutboxSchema, logger: Logger
    ) throws {
        self.configuration = try configuration.validated()
        self.database = database
        self.injectedPool = pool
        self.schema = schema
        self.logger = logger
        self.stateLog = RelayStateLog(logger: logger)
        self.instruments = RelayInstruments(database: self.database.database ?? self.database.user ?? "default")
    }

    /// What the relay has done so far. Safe to read from any task.
    public var metrics: OutboxRelayMetrics { stats.withLock { $0 } }

    /// For a readiness probe: ready when active, or standing by (which means it reached the
    /// database and found another relay holding the lock); with the state's name.
    public var readiness: (ready: Bool, state: String) {
        switch stateLog.state {
        case .active, .deliveryFailing, .brokerUnavailable: (true, "active")
        case .standby: (true, "standby")
        case .starting: (false, "starting")
        case .databaseUnavailable: (false, "database unavailable")
        case .stopped: (false, "stopped")
        }
    }

    /// The advisory-lock key electing the active relay of this database.
    public var lockKey: Int64 { configuration.lockKey ?? Self.stableHash("choreo.outbox.relay:\(schema.table)") }

    /// Runs until cancelled or gracefully shut down. Returns normally after a clean stop.
    public func run() async throws {
        let pool = injectedPool ?? PostgresConnectionPool(configuration: database, maxConnections: 2, logger: logger)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        await self.electionLoop(pool: pool)
                        self.electionFinished.signal()
                        self.stopSignal.signal()
                    }
                    group.addTask { await self.shutdownWatchdog() }
                    await group.waitForAll()
                }
            } onCancel: {
                self.requestStop()
            }
        } onGracefulShutdown: {
            self.requestStop()
        }
        let producer = producerBox.withLock { box -> KafkaProducer? in
            defer { box = nil }
            return box
        }
        await producer?.shutdown()
        if injectedPool == nil { await pool.shutdown() }
        stateLog.enter(.stopped, "outbox relay stopped", metadata: ["table": "\(schema.table)"])
    }

    /// Asks the relay to stop; `run()` returns once the in-flight batch is done or abandoned.
    public func requestStop() {
        stopping.withLock { $0 = true }
        wake.signal()
        stopSignal.signal()
    }

    private var isStopping: Bool { stopping.withLock { $0 } }

    /// After a stop request, gives the in-flight batch its grace period, then purges the
    /// producer so that a batch stuck on an unreachable broker completes (as failures), and
    /// closes the database connections so that a statement stuck on a hung database fails
    /// (`PostgresConnection.close()` cancels it and shuts the socket down).
    private func shutdownWatchdog() async {
        while !isStopping { await stopSignal.wait(timeout: .seconds(60)) }
        // Returns early when the election loop finishes within the grace period.
        await electionFinished.wait(timeout: configuration.shutdownGracePeriod)
        let producer = producerBox.withLock { $0 }
        await producer?.shutdown()
        for connection in openConnections.withLock({ $0 }) { await connection.close() }
    }

    /// Lends a connection of `pool` to `body`, known to the shutdown watchdog meanwhile.
    /// With `closing`, it is closed before it goes back (the pool then frees its place):
    /// for the lock session, whose advisory lock and `LISTEN` must never reach another user.
    private func withConnection<T: Sendable>(
        _ pool: PostgresConnectionPool, closing: Bool = false, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await pool.withConnection { connection in
            openConnections.withLock { $0.append(connection) }
            do {
                let value = try await body(connection)
                await giveBack(connection, closing: closing)
                return value
            } catch {
                await giveBack(connection, closing: closing)
                throw error
            }
        }
    }

    private func giveBack(_ connection: PostgresConnection, closing: Bool) async {
        openConnections.withLock { $0.removeAll { $0 === connection } }
        if closing { await connection.close() }
    }

    // MARK: - Election

    private func electionLoop(pool: PostgresConnectionPool) async {
        var backoff = configuration.initialBackoff
        while !isStopping {
            do {
                // The session is closed on every way out: that also releases the lock.
                try await withConnection(pool, closing: true) { session in
                    backoff = configuration.initialBackoff
                    while !isStopping {
                        let rows = try await session.query("SELECT pg_try_advisory_lock(\(lockKey))")
                        if try rows.first?.decode(Bool.self, column: 0) == true {
                            try await withConnection(pool) { work in try await runActive(session: session, work: work) }
                            return
                        }
                        stateLog.enter(
                            .standby, "outbox relay standing by: another relay holds the lock",
                            metadata: ["table": "\(schema.table)"])
                        await sleepUnlessStopping(configuration.standbyRetryInterval)
                    }
                }
            } catch {
                setActive(false)
                stateLog.enter(
                    .databaseUnavailable, level: .warning,
                    "outbox relay cannot use the database; retrying with backoff",
                    metadata: ["error": "\(error)"])
                await sleepUnlessStopping(backoff)
                backoff = min(backoff * 2, configuration.maximumBackoff)
            }
        }
        setActive(false)
    }

    /// Active: holds the lock on `session`, listens there, works on `work`.
    /// Returns when stopping; throws when the database fails (the lock is then lost too).
    private func runActive(session: PostgresConnection, work: PostgresConnection) async throws {
        await prefetchDeclaredTopics()
        stateLog.enter(.active, "outbox relay active", metadata: ["table": "\(schema.table)"])
        setActive(true)
        defer { setActive(false) }
        let notifications = try await session.listen(schema.channel)
        lockSessionEnded.withLock { $0 = false }
        // The listener is a child task: it is cancelled (which ends its notification stream)
        // and awaited before this returns or throws, so no task outlives the active state.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // The notification stream ends when the lock session dies: the lock is gone.
                do { for try await _ in notifications { self.wake.signal() } } catch {}
                if !Task.isCancelled { self.lockSessionEnded.withLock { $0 = true } }
                self.wake.signal()
            }
            defer { group.cancelAll() }
            try await workWhileActive(on: work)
        }
    }

    /// The active relay's loop: fills the pipeline from `work`, publishes, completes in order.
    /// Returns when stopping with nothing in flight; throws when the database fails or the
    /// lock session ended (`lockSessionEnded`).
    private func workWhileActive(on work: PostgresConnection) async throws {
        var loop = ActiveLoopState(initialBackoff: configuration.initialBackoff)
        var pipeline = RelayPipeline(schema: schema, configuration: configuration, logger: logger)
        do {
            try await pipeline.loadBlocks(on: work)
            while !isStopping || !pipeline.inFlight.isEmpty {
                if lockSessionEnded.withLock({ $0 }) {
                    throw OutboxError(code: .configuration, message: "the relay's lock session ended")
                }
                if pipeline.inFlight.isEmpty {
                    if pipeline.runHadFatal, let producer = producerBox.withLock({ $0 }) {
                        await dropProducer(producer)
                    }
                    let backOff = pipeline.runHadFailures
                    pipeline.restartIfDrained()
                    if backOff {
                        await sleepUnlessStopping(loop.backoff)
                        loop.backoff = min(loop.backoff * 2, configuration.maximumBackoff)
                    }
                    if isStopping { break }
                }
                if !isStopping {
                    try await pipeline.fill(on: work, producer: try currentProducer())
                    publish(&pipeline)
                }
                guard !pipeline.inFlight.isEmpty else {
                    try await housekeeping(on: work, loop: &loop)
                    if pipeline.exhausted { await wake.wait(timeout: configuration.pollInterval) }
                    continue
                }
                let completion = try await pipeline.completeOldest(on: work) {
                    producerBox.withLock { $0 }?.fatalError != nil
                }
                record(completion, loop: &loop)
                publish(&pipeline)
                try await housekeeping(on: work, loop: &loop)
            }
        } catch {
            await pipeline.abandon()
            throw error
        }
    }

    /// Copies the pipeline's bytes in flight and, when they changed, its blocked keys into `metrics`.
    private func publish(_ pipeline: inout RelayPipeline) {
        let blocked = pipeline.blocksChanged ? pipeline.blocks.all : nil
        pipeline.blocksChanged = false
        stats.withLock {
            $0.inFlightBytes = pipeline.inFlightBytes
            if let blocked { $0.blockedKeys = blocked }
        }
        instruments.inFlightBytes.record(pipeline.inFlightBytes)
        if let blocked { instruments.blockedKeys.record(blocked.count) }
    }

    struct ActiveLoopState {
        var backoff: Duration
        var lastMetrics = ContinuousClock.now
        var lastBacklog = ContinuousClock.now - .seconds(3600)
        var lastCleanup = ContinuousClock.now
        init(initialBackoff: Duration) { backoff = initialBackoff }
    }

    /// Counts a completed batch and logs state changes once.
    private func record(_ completion: RelayPipeline.Completion, loop: inout ActiveLoopState) {
        stats.withLock {
            $0.published += completion.delivered
            $0.failed += completion.failed
            $0.batches += 1
        }
        instruments.published.increment(by: completion.delivered)
        instruments.failed.increment(by: completion.failed)
        instruments.batches.increment()
        if completion.fatal {
            stateLog.enter(
                .deliveryFailing, level: .error,
                "fatal producer error; recreating the producer and resuming from the oldest undelivered row",
                metadata: ["error": "\(completion.firstError.map { "\($0)" } ?? "fatal")"])
        } else if completion.retained > 0 {
            stateLog.enter(
                .deliveryFailing, level: .warning, "outbox deliveries failing; rows kept and retried",
                metadata: ["failed": "\(completion.failed)", "error": "\(completion.firstError.map { "\($0)" } ?? "")"])
        } else {
            loop.backoff = configuration.initialBackoff
            stateLog.enter(.active, "outbox relay delivering", metadata: ["table": "\(schema.table)"])
        }
    }

    /// Backlog metrics and the audit cleanup, each on its own interval.
    private func housekeeping(on work: PostgresConnection, loop: inout ActiveLoopState) async throws {
        let now = ContinuousClock.now
        if now - loop.lastBacklog >= configuration.backlogInterval {
            loop.lastBacklog = now
            try await refreshBacklog(on: work)
        }
        if let interval = configuration.metricsInterval, now - loop.lastMetrics >= interval {
            loop.lastMetrics = now
            let snapshot = try await refreshBacklog(on: work)
            logger.info(
                "outbox relay metrics",
                metadata: [
                    "published": "\(snapshot.published)", "failed": "\(snapshot.failed)",
                    "backlog": "\(snapshot.backlog)", "oldest_age_s": "\(snapshot.oldestPendingAge)",
                    "producer_restarts": "\(snapshot.producerRestarts)",
                    "blocked_keys": "\(snapshot.blockedKeys.count)",
                ])
        }
        if let keep = configuration.keepDelivered, now - loop.lastCleanup >= .seconds(60) {
            loop.lastCleanup = now
            try await OutboxCleanup(schema: schema, keepDelivered: keep).run(on: work)
        }
    }

    /// Queries the backlog (rows waiting and the oldest's age) into `metrics`.
    @discardableResult
    public func refreshBacklog(on work: PostgresConnection) async throws -> OutboxRelayMetrics {
        let (backlog, age) = try await OutboxStatus.backlog(schema: schema, on: work)
        instruments.backlog.record(backlog)
        instruments.oldestPendingAge.record(age)
        return stats.withLock {
            $0.backlog = backlog
            $0.oldestPendingAge = age
            return $0
        }
    }

    // MARK: - Producer

    private func currentProducer() throws -> KafkaProducer {
        try producerBox.withLock { box in
            if let producer = box { return producer }
            let producer = try KafkaProducer(configuration: configuration.producer, logger: logger)
            box = producer
            return producer
        }
    }

    /// Fetches the declared topics' metadata into the producer before the first publish, so
    /// that a topic's first event is not held ~1 s (see `KafkaProducer.prefetchMetadata`).
    /// A failure costs only that delay.
    private func prefetchDeclaredTopics() async {
        guard let declared = configuration.declaredTopics else { return }
        do { try await currentProducer().prefetchMetadata(topics: declared.values.flatMap { $0 }) } catch {
            logger.debug("cannot prefetch the declared topics' metadata", metadata: ["error": "\(error)"])
        }
    }

    private func dropProducer(_ producer: KafkaProducer) async {
        let dropped = producerBox.withLock { box -> Bool in
            guard box === producer else { return false }
            box = nil
            return true
        }
        if dropped {
            stats.withLock { $0.producerRestarts += 1 }
            instruments.producerRestarts.increment()
        }
        await producer.shutdown()
    }

    /// Test hook: makes librdkafka raise a fatal error on the current producer
    /// (`rd_kafka_test_fatal_error`), as a spurious idempotence failure would.
    public func _injectFatalProducerError() {
        let producer = producerBox.withLock { $0 }
        try? producer?._testFatalError(code: .outOfOrderSequenceNumber, reason: "injected by a test")
    }

    // MARK: - Helpers

    private func setActive(_ active: Bool) {
        stats.withLock { $0.isActive = active }
        instruments.active.record(active ? 1 : 0)
    }

    private func sleepUnlessStopping(_ duration: Duration) async {
        guard !isStopping else { return }
        await wake.wait(timeout: duration)
    }

    /// FNV-1a, 64 bit: stable across processes and versions (Swift's `hashValue` is not).
    static func stableHash(_ string: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in string.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}
