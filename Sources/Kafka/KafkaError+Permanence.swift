import CRdKafka

extension KafkaError {
    /// Whether producing *this message* again, unchanged, can never succeed: it (or its
    /// headers) is over a size limit, its topic does not exist or is invalid, or the broker
    /// rejected the record as malformed.
    ///
    /// A producer's fatal error is not one of these: the producer must be recreated, and
    /// the same message may then succeed. Transport errors and timeouts are not either.
    /// Callers that cannot send a message whole (dead-letter publishing, the outbox relay)
    /// use this to choose between retrying in place and a permanent path.
    public var isPermanentForMessage: Bool {
        if isFatal { return false }
        switch code {
        case .messageTooLarge, .invalidArgument: return true
        case .unknownTopic:
            // The broker's UNKNOWN_TOPIC_OR_PART can be a metadata race right after a topic is
            // created; librdkafka's local __UNKNOWN_TOPIC is its final verdict.
            return rdKafkaCode == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC.rawValue
        default: break
        }
        guard let raw = rdKafkaCode else { return false }
        switch raw {
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE.rawValue,
            RD_KAFKA_RESP_ERR_INVALID_MSG.rawValue, RD_KAFKA_RESP_ERR_INVALID_RECORD.rawValue,
            RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION.rawValue,
            RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC.rawValue:
            return true
        default:
            return false
        }
    }
}
