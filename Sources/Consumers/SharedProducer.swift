import Kafka
import Logging
import Synchronization

/// The one Kafka producer of the retries and dead letters of every consumer instance that
/// shares it (all instances of a hosted service, or one standalone instance): the single
/// owner of its C handle.
///
/// - The handle is created by ``open()`` (each consumer instance calls it when it starts,
///   so a configuration error stops it at once) or by the first send.
/// - After a fatal error (librdkafka 2.0.2 can raise a spurious OUT_OF_ORDER_SEQUENCE on an
///   idempotent producer) the first send that gets it retires the handle — once, however
///   many instances saw the error — and the next send creates the replacement, which every
///   instance then uses. The failed handle is shut down as soon as no send is using it.
/// - ``shutdown()`` flushes and shuts down every handle; later sends fail with `.closed`.
///   Its owner calls it after every instance using it has stopped.
public final class SharedProducer: Sendable {
    public let configuration: KafkaProducerConfiguration
    private let logger: Logger

    private struct State {
        var current: KafkaProducer?
        var created = 0
        /// Sends in progress per handle.
        var users: [ObjectIdentifier: Int] = [:]
        /// Failed handles waiting for their last send.
        var retired: [KafkaProducer] = []
        var closed = false
    }

    private let state = Mutex(State())

    public init(configuration: KafkaProducerConfiguration, logger: Logger = Logger(label: "choreo.consumer.producer")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The producer settings of a consumer's retries and dead letters: the client settings,
    /// with `publishTimeout` as the message timeout.
    public static func configuration(for consumer: ConsumerConfiguration) -> KafkaProducerConfiguration {
        var producer = KafkaProducerConfiguration(client: consumer.kafka)
        producer.messageTimeout = consumer.publishTimeout
        return producer
    }

    /// Handles created so far: 1 after the first send, one more per fatal-error recovery.
    public var handlesCreated: Int { state.withLock { $0.created } }

    /// Creates the handle unless there is one.
    /// - Throws: `KafkaError` when librdkafka refuses the configuration, or after ``shutdown()``.
    public func open() throws {
        _ = try state.withLock { try current(&$0) }
    }

    /// Publishes `messages` and waits for every delivery report (result `i` is message
    /// `i`'s). When a result is a fatal error, the handle is retired (unless another send
    /// already replaced it) and the next send gets a new one: the caller sees the fatal
    /// results and sends again. When no handle can be had (shut down, or librdkafka refuses
    /// to create one) every result is that error.
    public func sendBatch(_ messages: [KafkaProducerMessage]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        let producer: KafkaProducer
        do {
            producer = try checkOut()
        } catch {
            let failure =
                error as? KafkaError
                ?? KafkaError(code: .configuration, message: "cannot create the producer: \(error)")
            return messages.map { _ in .failure(failure) }
        }
        let results = await producer.sendBatch(messages)
        for case .failure(let error) in results where error.isFatal || error.code == .fatal {
            retire(producer, after: error)
            break
        }
        await checkIn(producer)
        return results
    }

    /// Shuts every handle down (flushing what is queued first); idempotent.
    public func shutdown() async {
        let handles = state.withLock { state -> [KafkaProducer] in
            state.closed = true
            defer {
                state.current = nil
                state.retired = []
            }
            return (state.current.map { [$0] } ?? []) + state.retired
        }
        for handle in handles { await handle.shutdown() }
    }

    /// Test hook: makes librdkafka raise a fatal error on the current handle
    /// (`rd_kafka_test_fatal_error`), as a spurious idempotence failure would.
    public func _injectFatalError() throws {
        try state.withLock { $0.current }?._testFatalError(
            code: .outOfOrderSequenceNumber, reason: "injected by a test")
    }

    /// The current handle (created when there is none), counted as in use until `checkIn`.
    private func checkOut() throws -> KafkaProducer {
        try state.withLock { state in
            let producer = try current(&state)
            state.users[ObjectIdentifier(producer), default: 0] += 1
            return producer
        }
    }

    /// After a fatal error on `producer`: unless it was replaced already (another instance
    /// saw the same error first), it stops being current and is shut down after its last send.
    private func retire(_ producer: KafkaProducer, after error: KafkaError) {
        let retired = state.withLock { state -> Bool in
            guard state.current === producer else { return false }
            state.current = nil
            state.retired.append(producer)
            return true
        }
        if retired {
            logger.warning(
                "fatal error on the consumers' shared producer; replacing it (once for every instance)",
                metadata: ["error": "\(error)"])
        }
    }

    /// The current handle, created when there is none.
    private func current(_ state: inout State) throws -> KafkaProducer {
        guard !state.closed else {
            throw KafkaError(code: .closed, message: "the consumers' shared producer has been shut down")
        }
        if let current = state.current { return current }
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        state.current = producer
        state.created += 1
        return producer
    }

    private func checkIn(_ producer: KafkaProducer) async {
        let finished = state.withLock { state -> KafkaProducer? in
            let id = ObjectIdentifier(producer)
            let remaining = state.users[id, default: 1] - 1
            state.users[id] = remaining > 0 ? remaining : nil
            guard remaining <= 0, let index = state.retired.firstIndex(where: { $0 === producer }) else { return nil }
            return state.retired.remove(at: index)
        }
        await finished?.shutdown()
    }
}
