/// A Kafka protocol error code (or a librdkafka internal code, negative), as used to inject
/// errors into the ``EmbeddedKafkaCluster`` and to inject fatal producer errors in tests.
public struct KafkaErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// The `rd_kafka_resp_err_t` value.
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let noError = KafkaErrorCode(rawValue: 0)
    public static let unknownServerError = KafkaErrorCode(rawValue: -1)
    public static let unknownTopicOrPartition = KafkaErrorCode(rawValue: 3)
    public static let leaderNotAvailable = KafkaErrorCode(rawValue: 5)
    public static let notLeaderForPartition = KafkaErrorCode(rawValue: 6)
    public static let requestTimedOut = KafkaErrorCode(rawValue: 7)
    public static let messageTooLarge = KafkaErrorCode(rawValue: 10)
    public static let networkException = KafkaErrorCode(rawValue: 13)
    public static let coordinatorLoadInProgress = KafkaErrorCode(rawValue: 14)
    public static let coordinatorNotAvailable = KafkaErrorCode(rawValue: 15)
    public static let notCoordinator = KafkaErrorCode(rawValue: 16)
    public static let notEnoughReplicas = KafkaErrorCode(rawValue: 19)
    public static let notEnoughReplicasAfterAppend = KafkaErrorCode(rawValue: 20)
    public static let illegalGeneration = KafkaErrorCode(rawValue: 22)
    public static let unknownMemberID = KafkaErrorCode(rawValue: 25)
    public static let rebalanceInProgress = KafkaErrorCode(rawValue: 27)
    public static let topicAuthorizationFailed = KafkaErrorCode(rawValue: 29)
    public static let outOfOrderSequenceNumber = KafkaErrorCode(rawValue: 45)
    public static let duplicateSequenceNumber = KafkaErrorCode(rawValue: 46)
    public static let invalidProducerEpoch = KafkaErrorCode(rawValue: 47)
    public static let unknownProducerID = KafkaErrorCode(rawValue: 59)
    /// librdkafka-local: a broker disconnect (the embedded broker closes the connection).
    public static let transport = KafkaErrorCode(rawValue: -195)

    public var description: String { "KafkaErrorCode(\(rawValue))" }
}

/// A Kafka protocol request type (API key), for error injection into the ``EmbeddedKafkaCluster``.
public struct KafkaAPIKey: Hashable, Sendable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let produce = KafkaAPIKey(rawValue: 0)
    public static let fetch = KafkaAPIKey(rawValue: 1)
    public static let listOffsets = KafkaAPIKey(rawValue: 2)
    public static let metadata = KafkaAPIKey(rawValue: 3)
    public static let offsetCommit = KafkaAPIKey(rawValue: 8)
    public static let offsetFetch = KafkaAPIKey(rawValue: 9)
    public static let findCoordinator = KafkaAPIKey(rawValue: 10)
    public static let joinGroup = KafkaAPIKey(rawValue: 11)
    public static let heartbeat = KafkaAPIKey(rawValue: 12)
    public static let leaveGroup = KafkaAPIKey(rawValue: 13)
    public static let syncGroup = KafkaAPIKey(rawValue: 14)
    public static let apiVersions = KafkaAPIKey(rawValue: 18)
    public static let createTopics = KafkaAPIKey(rawValue: 19)
    public static let initProducerID = KafkaAPIKey(rawValue: 22)
    public static let addPartitionsToTxn = KafkaAPIKey(rawValue: 24)
    public static let endTxn = KafkaAPIKey(rawValue: 26)
}
