import CRdKafka
import Foundation
import Synchronization

/// Results of one `send`/`sendBatch` call: one continuation for the whole batch.
final class DeliveryBatch: Sendable {
    private struct State {
        var results: [Result<KafkaDeliveryReport, KafkaError>?]
        var remaining: Int
        var continuation: CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>?
    }
    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count, continuation: nil))
    }

    /// Records result `index`; resumes the waiter after the last one.
    func complete(_ index: Int, _ result: Result<KafkaDeliveryReport, KafkaError>) {
        let done:
            (
                CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>,
                [Result<KafkaDeliveryReport, KafkaError>]
            )? =
                state.withLock { state in
                    if case .some = state.results[index] { return nil }
                    state.results[index] = result
                    state.remaining -= 1
                    guard state.remaining == 0, let continuation = state.continuation else { return nil }
                    state.continuation = nil
                    return (continuation, Self.finished(state.results))
                }
        if let done { done.0.resume(returning: done.1) }
    }

    /// Waits until every message has its result.
    func wait() async -> [Result<KafkaDeliveryReport, KafkaError>] {
        await withCheckedContinuation { continuation in
            let ready: [Result<KafkaDeliveryReport, KafkaError>]? = state.withLock { state in
                if state.remaining == 0 { return Self.finished(state.results) }
                state.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private static func finished(_ results: [Result<KafkaDeliveryReport, KafkaError>?]) -> [Result<
        KafkaDeliveryReport, KafkaError
    >] {
        results.map { $0 ?? .failure(KafkaError(code: .messageDelivery, message: "no delivery report")) }
    }
}

/// The per-message opaque: retained when enqueued, taken back exactly once in the delivery report.
final class DeliveryTicket {
    let batch: DeliveryBatch
    let index: Int
    init(batch: DeliveryBatch, index: Int) {
        self.batch = batch
        self.index = index
    }
}

/// Producer-wide delivery state: fire-and-forget failures since the last flush.
final class ProducerDeliveryState: Sendable {
    private struct Failures {
        var count = 0
        var first: KafkaError?
    }
    private let failures = Mutex(Failures())

    func recordFireAndForgetFailure(_ error: KafkaError) {
        failures.withLock { f in
            f.count += 1
            if f.first == nil { f.first = error }
        }
    }

    /// Returns and resets the failures counted since the last call.
    func takeFailures() -> (count: Int, first: KafkaError?) {
        failures.withLock { f in
            defer { f = Failures() }
            return (f.count, f.first)
        }
    }
}

/// `dr_msg_cb`: runs on the producer's poll thread (inside rd_kafka_poll / rd_kafka_flush).
func rdKafkaDeliveryCallback(
    _ rk: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?, _ opaque: UnsafeMutableRawPointer?
) {
    guard let message else { return }
    let msg = message.pointee
    let result: Result<KafkaDeliveryReport, KafkaError>
    if msg.err == RD_KAFKA_RESP_ERR_NO_ERROR {
        var tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ts = rd_kafka_message_timestamp(message, &tsType)
        let topic = msg.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        result = .success(
            KafkaDeliveryReport(
                topic: topic, partition: msg.partition, offset: msg.offset,
                timestamp: ts >= 0 && tsType != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
                    ? Date(timeIntervalSince1970: Double(ts) / 1000) : nil))
    } else {
        var error = KafkaError.rd(msg.err, "message not delivered", default: .messageDelivery)
        // Purged after a fatal error, or failed because of it: the producer is finished.
        if msg.err == RD_KAFKA_RESP_ERR__FATAL || error.isFatal || hasFatalError(rk) {
            error.code = .fatal
            error.isFatal = true
            error.isRetriable = false
            if let rk {
                var buf = [CChar](repeating: 0, count: 512)
                let underlying = rd_kafka_fatal_error(rk, &buf, buf.count)
                error.message =
                    "message not delivered: fatal producer error \(String(cString: rd_kafka_err2name(underlying)))"
            }
        } else if error.code != .messageTooLarge && error.code != .unknownTopic {
            error.code = .messageDelivery
        }
        result = .failure(error)
    }
    if let ticketPointer = msg._private {
        let ticket = Unmanaged<DeliveryTicket>.fromOpaque(ticketPointer).takeRetainedValue()
        ticket.batch.complete(ticket.index, result)
    } else if case .failure(let error) = result {
        let context = RDKafkaContext.from(rk)
        context?.producer?.recordFireAndForgetFailure(error)
        context?.logger.warning("fire-and-forget message failed", metadata: ["error": "\(error)"])
    }
}
