import Consumers
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// `choreo dlq worker`: consumes every declared group's dead-letter topic into the store,
/// exactly once per group + original topic/partition/offset, and re-drives records by the
/// groups' `deadLetters.redrive` rules.
///
/// Per batch: one store transaction inserts the dead letters (a conflict means the record
/// exists: a re-read after a crash adds nothing); only after it commits are the Kafka
/// offsets committed. A failed transaction is retried with backoff; nothing is skipped.
/// A message without the `dlq_*` headers is logged and skipped. Graceful shutdown
/// finishes the current batch.
public final class DeadLetterWorker: Service, Sendable {
    public let configuration: DeadLetterWorkerConfiguration
    private let store: DeadLetterStore
    private let replayer: DeadLetterReplayer
    private let rules: [String: [String: RedriveRule]]
    private let logger: Logger
    private let stopping = Mutex(false)
    private let counters = Mutex(Metrics())
    private let joined = Mutex(false)
    /// Partitions revoked or lost since the loop last looked: their uncommitted offsets are
    /// dropped (the new owner re-reads those messages, which inserts nothing).
    private let released = Mutex<Set<KafkaTopicPartition>>([])
    /// `choreo_dead_letters{status,reason}`, read from the store.
    private let gauge = DeadLetterGauge()

    /// Counters since start.
    public struct Metrics: Sendable, Equatable {
        public var consumed = 0
        public var stored = 0
        public var malformed = 0
        public var redriven = 0
    }

    /// - Throws: `ConsumerError` when a group's re-drive rules are malformed.
    public init(
        configuration: DeadLetterWorkerConfiguration, store: DeadLetterStore, replayer: DeadLetterReplayer,
        logger: Logger = Logger(label: "choreo.dlq.worker")
    ) throws {
        self.configuration = configuration
        self.store = store
        self.replayer = replayer
        self.rules = try configuration.redriveRules()
        self.logger = logger
    }

    public var metrics: Metrics { counters.withLock { $0 } }

    /// Whether the worker's consumer is in its group: its last rebalance event was an
    /// assignment (with partitions, or legitimately none). For `GET /health/ready`.
    public var hasJoinedGroup: Bool { joined.withLock { $0 } }

    /// Finishes the current batch and returns from `run()`.
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
            client: configuration.kafka, groupID: configuration.consumerGroupID)
        consumerConfiguration.autoOffsetReset = .earliest
        consumerConfiguration.sessionTimeout = configuration.sessionTimeout
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        consumer.setRebalanceHandler { [self] event in
            self.joined.withLock { joined in
                if case .assigned = event { joined = true } else { joined = false }
            }
            switch event {
            case .assigned: break
            case .revoked(let partitions), .lost(let partitions): self.released.withLock { $0.formUnion(partitions) }
            }
        }
        do {
            try consumer.subscribe(topics: configuration.deadLetterTopics)
            var lastRedrive = ContinuousClock.now
            var lastGauge: ContinuousClock.Instant?
            // Offsets of stored batches whose commit failed (a broker outage): committed again on
            // every turn, so a partition with no further dead letters does not keep a lag of one.
            var uncommitted: [KafkaTopicPartition: Int64] = [:]
            var commitFailures = 0
            while !isStopping {
                let messages = try await consumer.poll(
                    maxMessages: configuration.batchSize, timeout: configuration.pollTimeout)
                var changed = false
                if !messages.isEmpty {
                    guard let stored = try await storeBatch(messages) else { break }
                    changed = stored.count > 0
                    uncommitted.merge(stored.offsets) { max($0, $1) }
                }
                let gone = released.withLock { set in
                    defer { set.removeAll() }; return set
                }
                for partition in gone { uncommitted[partition] = nil }
                if !uncommitted.isEmpty {
                    uncommitted = await commit(uncommitted, consumer: consumer, failures: &commitFailures)
                }
                if ContinuousClock.now - lastRedrive >= configuration.redriveInterval {
                    lastRedrive = .now
                    changed = await redriveDue() || changed
                }
                if changed || lastGauge.map({ ContinuousClock.now - $0 >= configuration.gaugeInterval }) ?? true {
                    lastGauge = .now
                    await refreshGauge()
                }
            }
        } catch {
            joined.withLock { $0 = false }
            await consumer.close()
            throw error
        }
        joined.withLock { $0 = false }
        await consumer.close()
    }

    /// Sets `choreo_dead_letters` from the store; a failed reading keeps the last values.
    private func refreshGauge() async {
        do { try await gauge.refresh(from: store) } catch {
            logger.debug("cannot read the dead-letter counts for the gauge", metadata: ["error": "\(error)"])
        }
    }

    /// Stores a batch; returns how many records it stored and the offsets to commit, or `nil`
    /// when stopping before it could store (nothing is committed: the batch is read again).
    private func storeBatch(
        _ messages: [KafkaConsumerMessage]
    ) async throws -> (count: Int, offsets: [KafkaTopicPartition: Int64])? {
        var letters: [IncomingDeadLetter] = []
        var next: [KafkaTopicPartition: Int64] = [:]
        for message in messages {
            next[KafkaTopicPartition(topic: message.topic, partition: message.partition)] = message.offset + 1
            do {
                letters.append(try IncomingDeadLetter(message))
            } catch {
                counters.withLock { $0.malformed += 1 }
                logger.error("skipping a message that is not a dead letter", metadata: ["error": "\(error)"])
            }
        }
        let rules = self.rules
        var backoff = Duration.milliseconds(200)
        var storedCount = 0
        while true {
            do {
                let stored = try await store.insert(letters) { group, reason in rules[group]?[reason] }
                storedCount = stored.count
                counters.withLock {
                    $0.consumed += messages.count
                    $0.stored += stored.count
                }
                break
            } catch {
                if isStopping { return nil }  // nothing committed: the batch is read again next time
                logger.warning(
                    "storing dead letters failed; retrying the batch", metadata: ["error": "\(error)"])
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, configuration.maximumBackoff)
            }
        }
        return (storedCount, next)
    }

    /// Commits `offsets`; returns those still to commit (all of them when the commit failed).
    private func commit(
        _ offsets: [KafkaTopicPartition: Int64], consumer: KafkaConsumer, failures: inout Int
    ) async -> [KafkaTopicPartition: Int64] {
        let list = offsets.map {
            KafkaTopicPartitionOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value)
        }
        do {
            try await consumer.commit(list)
            failures = 0
            return [:]
        } catch {
            // Stored already: a redelivery of these messages inserts nothing; tried again next turn.
            failures += 1
            if failures == 1 || failures % 50 == 0 {
                logger.info(
                    "offset commit failed; trying again", metadata: ["error": "\(error)", "failures": "\(failures)"])
            }
            return offsets
        }
    }

    /// Replays due records to their group's replay topic, one at a time; a record whose
    /// replay is refused (its group or type is no longer declared) is held with the reason.
    /// Returns whether a record was re-driven or held.
    private func redriveDue() async -> Bool {
        let groups = configuration.groups.map(\.group)
        let due: [DeadLetterRecord]
        do { due = try await store.dueRedrives(groups: groups) } catch {
            logger.warning("cannot look for due re-drives", metadata: ["error": "\(error)"])
            return false
        }
        var options = ReplayOptions(actor: "worker")
        options.automatic = true
        for record in due where !isStopping {
            do {
                _ = try await replayer.replay([record], options: options)
                counters.withLock { $0.redriven += 1 }
            } catch let error as DeadLetterError where error.code != .publishFailed {
                _ = try? await store.mark(
                    record.id, status: .held, actor: "worker", action: "redrive", outcome: "refused: \(error.message)")
            } catch {
                logger.warning(
                    "re-drive failed; will retry", metadata: ["record": "\(record.id)", "error": "\(error)"])
            }
        }
        return !due.isEmpty
    }
}
