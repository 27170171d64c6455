import Contracts
import Foundation
import Kafka

/// The dead-letter format: the `dlq_*` headers a dead letter carries, how one is encoded
/// (whole, or cut down to fit the producer's limits) and how it is read back.
///
/// The only owner of these header names: the runtime writes dead letters through
/// ``message(for:topic:)`` / ``cutDownMessage(for:topic:maxMessageBytes:maxHeaderBytes:)``
/// and tools read them with ``init(headers:)`` and ``originalHeaders(_:)``.
public struct DeadLetter: Sendable, Equatable {
    /// The header names.
    public enum Header {
        public static let prefix = "dlq_"
        public static let originalTopic = "dlq_original_topic"
        public static let originalPartition = "dlq_original_partition"
        public static let originalOffset = "dlq_original_offset"
        public static let consumerGroup = "dlq_consumer_group"
        public static let reason = "dlq_reason"
        public static let error = "dlq_error"
        public static let attempts = "dlq_attempts"
        public static let failedAt = "dlq_failed_at"
        /// `true` on a cut-down dead letter: the value is only a prefix of the original.
        public static let truncated = "dlq_truncated"
        /// The byte size of the original value (cut-down dead letters only).
        public static let originalSize = "dlq_original_size"
        /// The lower-case hex SHA-256 of the original value (cut-down dead letters only).
        public static let originalSHA256 = "dlq_original_sha256"
        /// The headers every dead letter carries.
        public static let required = [
            originalTopic, originalPartition, originalOffset, consumerGroup, reason, attempts, failedAt,
        ]
    }

    /// What a cut-down dead letter records about the value it replaced.
    public struct Truncation: Sendable, Equatable {
        /// Bytes of the original value.
        public var originalSize: Int
        /// Lower-case hex SHA-256 of the original value.
        public var originalSHA256: String

        public init(originalSize: Int, originalSHA256: String) {
            self.originalSize = originalSize
            self.originalSHA256 = originalSHA256
        }

        /// The truncation record of `value` (`nil`: an empty value).
        public init(of value: [UInt8]?) {
            self.init(originalSize: value?.count ?? 0, originalSHA256: ContractLock.sha256Hex(value ?? []))
        }
    }

    /// Where the message was first delivered (before any retry topic): it can be fetched
    /// there again while the topic keeps it.
    public var originalTopic: String
    public var originalPartition: Int32
    public var originalOffset: Int64
    public var group: String
    public var reason: DeadLetterReason
    /// One line, at most ``maxErrorBytes``.
    public var error: String
    public var attempts: Int
    public var failedAt: Date
    /// Set on a cut-down dead letter.
    public var truncation: Truncation?

    /// The largest `dlq_error` kept, in bytes.
    public static let maxErrorBytes = RetryHeaders.maxErrorBytes
    /// How much of the value a cut-down dead letter keeps: its first 4 KiB.
    public static let keptValueBytes = 4 * 1_024
    /// How much of the key a cut-down dead letter keeps.
    public static let keptKeyBytes = 1_024

    public init(
        originalTopic: String, originalPartition: Int32, originalOffset: Int64, group: String,
        reason: DeadLetterReason, error: String, attempts: Int, failedAt: Date = Date(), truncation: Truncation? = nil
    ) {
        self.originalTopic = originalTopic
        self.originalPartition = originalPartition
        self.originalOffset = originalOffset
        self.group = group
        self.reason = reason
        self.error = RetryHeaders.bounded(error)
        self.attempts = attempts
        self.failedAt = failedAt
        self.truncation = truncation
    }

    /// The `dlq_*` headers.
    public var headers: [KafkaHeader] {
        var headers = [
            KafkaHeader(key: Header.originalTopic, string: originalTopic),
            KafkaHeader(key: Header.originalPartition, string: String(originalPartition)),
            KafkaHeader(key: Header.originalOffset, string: String(originalOffset)),
            KafkaHeader(key: Header.consumerGroup, string: group),
            KafkaHeader(key: Header.reason, string: reason.rawValue),
            KafkaHeader(key: Header.error, string: error),
            KafkaHeader(key: Header.attempts, string: String(attempts)),
            KafkaHeader(
                key: Header.failedAt,
                string: failedAt.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
        ]
        if let truncation {
            headers += [
                KafkaHeader(key: Header.truncated, string: "true"),
                KafkaHeader(key: Header.originalSize, string: String(truncation.originalSize)),
                KafkaHeader(key: Header.originalSHA256, string: truncation.originalSHA256),
            ]
        }
        return headers
    }

    /// The whole dead letter of `original`: its key, value and headers (without the runtime's
    /// own `retry_*`/`dlq_*` bookkeeping), then the `dlq_*` headers.
    public func message(for original: KafkaConsumerMessage, topic: String) -> KafkaProducerMessage {
        var copy = self
        copy.truncation = nil
        return KafkaProducerMessage(
            topic: topic, partition: nil, key: original.key, value: original.value,
            headers: Self.originalHeaders(original.headers) + copy.headers)
    }

    /// The cut-down dead letter of `original`, within the producer's limits: the value
    /// replaced by its first ``keptValueBytes``, the key by its first ``keptKeyBytes``, the
    /// `dlq_*` headers with the original value's size and SHA-256, and, in order, every
    /// original header that still fits.
    public func cutDownMessage(
        for original: KafkaConsumerMessage, topic: String, maxMessageBytes: Int, maxHeaderBytes: Int
    ) -> KafkaProducerMessage {
        var copy = self
        copy.truncation = Truncation(of: original.value)
        let own = copy.headers
        let key = original.key.map { Array($0.prefix(Self.keptKeyBytes)) }
        let value = original.value.map { Array($0.prefix(Self.keptValueBytes)) }
        let fixed = (key?.count ?? 0) + (value?.count ?? 0)
        var budget = min(maxHeaderBytes, maxMessageBytes - fixed) - Self.byteCount(own)
        var kept: [KafkaHeader] = []
        for header in Self.originalHeaders(original.headers) {
            let size = Self.byteCount([header])
            guard size <= budget else { continue }
            kept.append(header)
            budget -= size
        }
        return KafkaProducerMessage(topic: topic, partition: nil, key: key, value: value, headers: kept + own)
    }

    /// Whether the whole dead letter of `original` fits the producer's limits.
    public func fitsWhole(_ original: KafkaConsumerMessage, maxMessageBytes: Int, maxHeaderBytes: Int) -> Bool {
        let headerBytes = Self.byteCount(Self.originalHeaders(original.headers)) + Self.byteCount(headers)
        let total = headerBytes + (original.key?.count ?? 0) + (original.value?.count ?? 0)
        return headerBytes <= maxHeaderBytes && total <= maxMessageBytes
    }

    /// Reads the `dlq_*` headers of a dead letter; `nil` when they are missing or malformed.
    public init?(headers: [KafkaHeader]) {
        func value(_ key: String) -> String? { RetryHeaders.value(key, in: headers) }
        guard let topic = value(Header.originalTopic),
            let partition = value(Header.originalPartition).flatMap({ Int32($0) }),
            let offset = value(Header.originalOffset).flatMap({ Int64($0) }),
            let group = value(Header.consumerGroup), let reason = value(Header.reason),
            let attempts = value(Header.attempts).flatMap({ Int($0) }),
            let failedAt = value(Header.failedAt).flatMap({ try? Date($0, strategy: .iso8601) })
        else { return nil }
        var truncation: Truncation?
        if value(Header.truncated) == "true" {
            guard let size = value(Header.originalSize).flatMap({ Int($0) }), let hash = value(Header.originalSHA256)
            else { return nil }
            truncation = Truncation(originalSize: size, originalSHA256: hash)
        }
        self.init(
            originalTopic: topic, originalPartition: partition, originalOffset: offset, group: group,
            reason: DeadLetterReason(reason), error: value(Header.error) ?? "", attempts: attempts, failedAt: failedAt,
            truncation: truncation)
    }

    /// The headers of the original message: everything but the runtime's `retry_*` and
    /// `dlq_*` bookkeeping, in order.
    public static func originalHeaders(_ headers: [KafkaHeader]) -> [KafkaHeader] {
        RetryHeaders.original(headers)
    }

    /// Header bytes as the producer counts them (keys and values).
    static func byteCount(_ headers: [KafkaHeader]) -> Int {
        headers.reduce(0) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) }
    }
}
