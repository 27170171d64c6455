import CRdKafka
import Foundation
import Logging

/// An idempotent-by-default Kafka producer.
///
/// Threading: every method may be called from any task or thread. One dedicated poll thread
/// (started by `init`) serves delivery reports and runs flushes; it blocks in `rd_kafka_poll`
/// rather than spinning. `send`/`sendBatch` suspend without blocking a cooperative thread.
/// The producer is shut down by ``shutdown()`` or, without waiting, when its last reference goes.
public final class KafkaProducer: Sendable {
    let handle: RDKafkaHandle
    let control: ProducerPollControl
    private let state: ProducerDeliveryState
    /// The configuration the producer was created with.
    public let configuration: KafkaProducerConfiguration
    let logger: Logger

    /// Creates the producer and starts its poll thread. Throws ``KafkaError/Code/configuration``
    /// when librdkafka rejects a property. Does not contact the broker.
    public init(configuration: KafkaProducerConfiguration, logger: Logger = Logger(label: "choreo.kafka.producer"))
        throws
    {
        let state = ProducerDeliveryState()
        let context = RDKafkaContext(logger: logger, producer: state)
        let handle = try RDKafkaHandle(
            type: RD_KAFKA_PRODUCER, properties: configuration.properties(), context: context,
            bootstrap: configuration.client.bootstrapDescription
        ) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, rdKafkaDeliveryCallback)
        }
        let control = ProducerPollControl()
        let timeout = configuration.deliveryReportTimeoutOnShutdown
        let thread = Thread { producerPollLoop(handle: handle, control: control, shutdownTimeout: timeout) }
        thread.name = "choreo.kafka.producer.poll"
        thread.start()
        self.handle = handle
        self.control = control
        self.state = state
        self.configuration = configuration
        self.logger = logger
    }

    deinit {
        // The poll thread drains and destroys the handle; nothing blocks here.
        control.requestStop()
    }

    /// Produces one message and waits for its delivery report.
    ///
    /// Throws ``KafkaError`` with `.messageDelivery` (see `rdKafkaCode`, `isRetriable`),
    /// `.fatal` after a fatal idempotence error, `.queueFull`, `.messageTooLarge` or `.closed`.
    public func send(_ message: KafkaProducerMessage) async throws -> KafkaDeliveryReport {
        let results = await sendBatch([message])
        return try results[0].get()
    }

    /// Enqueues every message (waiting while the local queue is full), then waits for all
    /// delivery reports with a single continuation. Result `i` belongs to message `i`.
    /// Messages to one partition are enqueued, and with idempotence written, in array order.
    public func sendBatch(_ messages: [KafkaProducerMessage]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        await enqueueBatch(messages).wait()
    }

    /// Enqueues `messages` in order (waiting while the local queue is full) and returns at
    /// once; `wait()` on the result gives one report per message. Batches enqueued one after
    /// another keep their order per partition, so several can be in flight at once.
    public func enqueueBatch(_ messages: [KafkaProducerMessage]) async -> PendingDeliveries {
        let batch = DeliveryBatch(count: messages.count)
        guard !messages.isEmpty else { return PendingDeliveries(batch: batch) }
        var backoff = Duration.microseconds(200)
        var index = 0
        while index < messages.count {
            let ticket = Unmanaged.passRetained(DeliveryTicket(batch: batch, index: index))
            let outcome = produce(messages[index], opaque: ticket.toOpaque())
            switch outcome {
            case .enqueued:
                index += 1
                backoff = .microseconds(200)
            case .queueFull:
                ticket.release()
                // The poll thread is draining the queue; give it a moment.
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .milliseconds(20))
            case .failed(let error):
                ticket.release()
                batch.complete(index, .failure(error))
                index += 1
            }
        }
        return PendingDeliveries(batch: batch)
    }

    /// Enqueues a message without waiting for its report. Delivery failures are logged, counted
    /// and reported by the next ``flush(timeout:)``. Throws when the message cannot be enqueued
    /// (`.queueFull` is retriable).
    public func enqueue(_ message: KafkaProducerMessage) throws {
        switch produce(message, opaque: nil) {
        case .enqueued: return
        case .queueFull:
            throw KafkaError(
                code: .queueFull, message: "the local producer queue is full",
                rdKafkaCode: RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue, isRetriable: true)
        case .failed(let error): throw error
        }
    }

    /// Waits until every enqueued message has its delivery report. Throws `.timeout` if that
    /// takes longer than `timeout`, and `.messageDelivery` if any fire-and-forget message
    /// failed since the previous flush (counting is reset by this call).
    public func flush(timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let emptied = await control.waitForFlush(deadline: deadline) {
            _ = try? handle.withPointer { rd_kafka_yield($0) }
        }
        let failures = state.takeFailures()
        if let fatal = fatalError { throw fatal }
        guard emptied else {
            if control.isStopping { throw KafkaError.closed("the producer") }
            throw KafkaError(code: .timeout, message: "flush did not complete within \(timeout)", isRetriable: true)
        }
        if failures.count > 0 {
            var error = failures.first ?? KafkaError(code: .messageDelivery, message: "message not delivered")
            error.message =
                "\(failures.count) fire-and-forget message(s) failed since the last flush; first: \(error.message)"
            throw error
        }
    }

    /// The fatal error librdkafka raised (idempotence violated), or `nil`. Once set, the producer
    /// cannot deliver anything: every send fails with `.fatal`; create a new producer.
    public var fatalError: KafkaError? {
        guard
            let (raw, text) = try? handle.withPointer({ rk -> (Int32, String) in
                var buf = [CChar](repeating: 0, count: 512)
                let err = rd_kafka_fatal_error(rk, &buf, buf.count)
                return (err.rawValue, string(fromCBuffer: buf))
            }), raw != 0
        else { return nil }
        return KafkaError(code: .fatal, message: "fatal producer error: \(text)", rdKafkaCode: raw, isFatal: true)
    }

    /// Flushes (up to `deliveryReportTimeoutOnShutdown`), purges what is still queued or in
    /// flight, serves the purged messages' reports (so every waiter gets an answer), stops the
    /// poll thread and destroys the handle. Idempotent; later sends fail with `.closed`.
    public func shutdown() async {
        if control.requestStop() { _ = try? handle.withPointer { rd_kafka_yield($0) } }
        await control.waitUntilFinished()
    }

    /// Test hook: makes librdkafka raise a fatal error as if the broker had violated idempotence.
    public func _testFatalError(code: KafkaErrorCode, reason: String) throws {
        let err = try handle.withPointer {
            rd_kafka_test_fatal_error($0, rd_kafka_resp_err_t(rawValue: code.rawValue), reason)
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rd(err, "cannot inject a fatal error") }
    }
}
