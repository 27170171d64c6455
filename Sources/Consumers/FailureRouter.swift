import Foundation
import Kafka
import Tracing

/// A message the runtime republishes: a retry or a dead letter.
struct Outgoing: Sendable {
    enum Kind: Sendable, Equatable {
        case retry
        case deadLetter
        /// A dead letter in its cut-down form (``DeadLetter/cutDownMessage``).
        case cutDownDeadLetter
    }

    var message: KafkaProducerMessage
    var kind: Kind
    /// The message it republishes.
    var source: KafkaConsumerMessage
    /// The dead-letter description, for dead letters.
    var deadLetter: DeadLetter?
    /// For a publication recorded in `parked_publications`: its row.
    var pendingSeq: Int64?
    /// The context of the consume span whose failure this publishes (tracing on): the
    /// parent of its ``DeadLetterSpan``.
    var traceContext: ServiceContext? = nil

    var isDeadLetter: Bool { kind != .retry }
}

/// Builds the retry or dead-letter message for a failed or rejected message: the only
/// place that chooses between the next retry topic and the dead-letter topic, and between
/// a whole and a cut-down dead letter.
struct FailureRouter: Sendable {
    let group: String
    let retry: RetryPolicy
    let deadLetterTopic: String
    /// The group's retry topics and their delays (where retry headers are trusted).
    let retryDelays: [String: Duration]
    /// The producer's limits: a dead letter over them is sent cut down.
    let maxMessageBytes: Int
    let maxHeaderBytes: Int

    func origin(_ message: KafkaConsumerMessage, now: Date) -> MessageOrigin {
        MessageOrigin(message, retryDelay: retryDelays[message.topic], now: now)
    }

    /// A failed handler call → the next retry topic, or the dead-letter topic when the
    /// failure is permanent or the attempts are spent.
    func route(_ message: KafkaConsumerMessage, attempt: Int, error: String, isPermanent: Bool, now: Date = Date())
        -> Outgoing
    {
        if isPermanent { return deadLetter(message, reason: .handlerError, error: error, attempts: attempt) }
        guard attempt <= retry.delays.count else {
            return deadLetter(message, reason: .retriesExhausted, error: error, attempts: attempt)
        }
        let delay = retry.delays[attempt - 1]
        let origin = origin(message, now: now)
        let due = now.addingTimeInterval(delay.timeInterval)
        var headers = RetryHeaders.original(message.headers)
        headers += [
            KafkaHeader(key: RetryHeaders.attempt, string: String(attempt + 1)),
            KafkaHeader(key: RetryHeaders.dueAt, string: RetryHeaders.epochMilliseconds(due)),
            KafkaHeader(key: RetryHeaders.originalTopic, string: origin.topic),
            KafkaHeader(key: RetryHeaders.originalPartition, string: String(origin.partition)),
            KafkaHeader(key: RetryHeaders.originalOffset, string: String(origin.offset)),
            KafkaHeader(key: RetryHeaders.lastError, string: RetryHeaders.bounded(error)),
        ]
        return Outgoing(
            message: KafkaProducerMessage(
                topic: RetryPolicy.retryTopic(group: group, delay: delay), partition: nil,
                key: message.key, value: message.value, headers: headers),
            kind: .retry, source: message)
    }

    /// The dead letter of `message`: whole when it fits the producer's limits and the reason
    /// is not `oversized`, else cut down.
    func deadLetter(
        _ message: KafkaConsumerMessage, reason: DeadLetterReason, error: String, attempts: Int, now: Date = Date()
    ) -> Outgoing {
        let origin = origin(message, now: now)
        let letter = DeadLetter(
            originalTopic: origin.topic, originalPartition: origin.partition, originalOffset: origin.offset,
            group: group, reason: reason, error: error, attempts: attempts, failedAt: now)
        if reason != .oversized,
            letter.fitsWhole(message, maxMessageBytes: maxMessageBytes, maxHeaderBytes: maxHeaderBytes)
        {
            return Outgoing(
                message: letter.message(for: message, topic: deadLetterTopic), kind: .deadLetter, source: message,
                deadLetter: letter)
        }
        return cutDown(message, letter)
    }

    /// What to send instead of `outgoing` after the producer refused it permanently (too
    /// large, an unknown retry topic, an invalid record): its cut-down dead letter, reason
    /// `oversized` for a retry.
    func instead(of outgoing: Outgoing, refusedWith error: KafkaError) -> Outgoing {
        var letter =
            outgoing.deadLetter
            ?? {
                let origin = origin(outgoing.source, now: Date())
                return DeadLetter(
                    originalTopic: origin.topic, originalPartition: origin.partition, originalOffset: origin.offset,
                    group: group, reason: .oversized, error: "", attempts: origin.attempt)
            }()
        if outgoing.kind == .retry {
            letter.error = RetryHeaders.bounded("its retry cannot be published: \(error)")
        }
        var replacement = cutDown(outgoing.source, letter, pendingSeq: outgoing.pendingSeq)
        replacement.traceContext = outgoing.traceContext
        return replacement
    }

    private func cutDown(_ message: KafkaConsumerMessage, _ letter: DeadLetter, pendingSeq: Int64? = nil) -> Outgoing {
        Outgoing(
            message: letter.cutDownMessage(
                for: message, topic: deadLetterTopic, maxMessageBytes: maxMessageBytes, maxHeaderBytes: maxHeaderBytes),
            kind: .cutDownDeadLetter, source: message, deadLetter: letter, pendingSeq: pendingSeq)
    }
}
