import CRdKafka

/// The one error type of the `Kafka` module.
///
/// `description` never contains payloads, passwords or property values; it names the
/// operation, the code and (where relevant) a configuration key or bootstrap server list.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// An extensible error category. Compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A stable identifier of the category.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// A configuration property was rejected (the message names the key, never the value).
        public static let configuration = Code("configuration")
        /// The broker could not be reached or the connection failed.
        public static let transport = Code("transport")
        /// The operation did not complete within its timeout.
        public static let timeout = Code("timeout")
        /// A produced message was not delivered (see `rdKafkaCode`).
        public static let messageDelivery = Code("messageDelivery")
        /// librdkafka raised a fatal error; the client must be recreated.
        public static let fatal = Code("fatal")
        /// The broker does not implement the requested API (the embedded broker has no admin API).
        public static let brokerUnsupported = Code("brokerUnsupported")
        /// A topic to create already exists.
        public static let topicAlreadyExists = Code("topicAlreadyExists")
        /// The topic or partition does not exist.
        public static let unknownTopic = Code("unknownTopic")
        /// The group is rebalancing; the operation (usually a commit) may be retried after it.
        public static let rebalanceInProgress = Code("rebalanceInProgress")
        /// The client has been shut down or closed.
        public static let closed = Code("closed")
        /// The local producer queue is full (`queue.buffering.max.messages`).
        public static let queueFull = Code("queueFull")
        /// A message or its header set exceeds the configured bound.
        public static let messageTooLarge = Code("messageTooLarge")
        /// An argument was invalid (empty topic, negative count, ...).
        public static let invalidArgument = Code("invalidArgument")
        /// A consumer-side error (fetch, commit, assignment, offsets).
        public static let consumer = Code("consumer")
        /// An admin request failed at the broker.
        public static let admin = Code("admin")
        /// Any other librdkafka error.
        public static let unknown = Code("unknown")

        public var description: String { rawValue }
    }

    /// The category of the error.
    public var code: Code
    /// Whether repeating the same operation later may succeed.
    public var isRetriable: Bool
    /// Whether the client is unusable from now on (must be recreated).
    public var isFatal: Bool
    /// The librdkafka `rd_kafka_resp_err_t` value, when the error came from librdkafka.
    public var rdKafkaCode: Int32?
    /// A human-readable explanation free of secrets and payloads.
    public var message: String
    /// An underlying error, if any.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(
        code: Code, message: String, rdKafkaCode: Int32? = nil, isRetriable: Bool = false,
        isFatal: Bool = false, underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.rdKafkaCode = rdKafkaCode
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.underlying = underlying
    }

    public var description: String {
        var text = "KafkaError(\(code)): \(message)"
        if let rdKafkaCode { text += " [rd_kafka_resp_err \(rdKafkaCode)]" }
        if isFatal { text += " (fatal)" } else if isRetriable { text += " (retriable)" }
        return text
    }
}

extension KafkaError {
    /// Builds an error from a librdkafka response code, classifying it.
    static func rd(_ err: rd_kafka_resp_err_t, _ context: String, default fallback: Code = .unknown) -> KafkaError {
        let raw = err.rawValue
        let name = String(cString: rd_kafka_err2str(err))
        let code = KafkaError.classify(raw, fallback: fallback)
        return KafkaError(
            code: code, message: "\(context): \(name)", rdKafkaCode: raw,
            isRetriable: KafkaError.isRetriableCode(raw), isFatal: raw == RD_KAFKA_RESP_ERR__FATAL.rawValue)
    }

    /// Builds an error from an `rd_kafka_error_t`, destroying it.
    static func consume(_ error: OpaquePointer, _ context: String, default fallback: Code = .unknown) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        let raw = rd_kafka_error_code(error).rawValue
        let text = rd_kafka_error_string(error).map { String(cString: $0) } ?? "error \(raw)"
        return KafkaError(
            code: rd_kafka_error_is_fatal(error) != 0 ? .fatal : classify(raw, fallback: fallback),
            message: "\(context): \(text)", rdKafkaCode: raw,
            isRetriable: rd_kafka_error_is_retriable(error) != 0 || isRetriableCode(raw),
            isFatal: rd_kafka_error_is_fatal(error) != 0)
    }

    static func classify(_ raw: Int32, fallback: Code) -> Code {
        switch raw {
        case RD_KAFKA_RESP_ERR__TRANSPORT.rawValue, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue,
            RD_KAFKA_RESP_ERR__RESOLVE.rawValue, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION.rawValue:
            return fallback == .messageDelivery ? .messageDelivery : .transport
        case RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue,
            RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE.rawValue:
            return fallback == .messageDelivery ? .messageDelivery : .timeout
        case RD_KAFKA_RESP_ERR__FATAL.rawValue: return .fatal
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS.rawValue: return .topicAlreadyExists
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC.rawValue, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue,
            RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION.rawValue:
            return .unknownTopic
        case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS.rawValue: return .rebalanceInProgress
        case RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue: return .queueFull
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue: return .messageTooLarge
        case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE.rawValue, RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION.rawValue:
            return .brokerUnsupported
        case RD_KAFKA_RESP_ERR__DESTROY.rawValue: return .closed
        case RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue: return .invalidArgument
        default: return fallback
        }
    }

    static func isRetriableCode(_ raw: Int32) -> Bool {
        switch raw {
        case RD_KAFKA_RESP_ERR__TRANSPORT.rawValue, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue,
            RD_KAFKA_RESP_ERR__RESOLVE.rawValue, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION.rawValue,
            RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue,
            RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE.rawValue,
            RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS.rawValue, RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue,
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE.rawValue,
            RD_KAFKA_RESP_ERR_NOT_COORDINATOR.rawValue, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE.rawValue,
            RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS.rawValue,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS.rawValue, RD_KAFKA_RESP_ERR__PURGE_QUEUE.rawValue,
            RD_KAFKA_RESP_ERR__PURGE_INFLIGHT.rawValue, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION.rawValue,
            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue, RD_KAFKA_RESP_ERR__WAIT_COORD.rawValue:
            return true
        default: return false
        }
    }

    static func closed(_ what: String) -> KafkaError {
        KafkaError(code: .closed, message: "\(what) has been shut down")
    }
}
