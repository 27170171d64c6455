import Foundation
import Kafka
import Logging

/// Runs `body` with a fresh embedded Kafka cluster (librdkafka mock cluster) holding `topics`
/// (name, partitions), and shuts the cluster down afterwards, also when `body` throws.
public func withEmbeddedKafka<T>(
    brokers: Int = 1, topics: [(String, Int)] = [],
    _ body: (EmbeddedKafkaCluster) async throws -> T
) async throws -> T {
    let cluster = try EmbeddedKafkaCluster(brokers: brokers, logger: testLogger("embedded-kafka"))
    defer { cluster.shutdown() }
    for (name, partitions) in topics {
        try cluster.createTopic(name, partitions: partitions, replicationFactor: min(brokers, 3))
    }
    return try await body(cluster)
}

/// A topic name unique within this process run, e.g. `orders-3f9c1a2b`.
public func uniqueTopicName(_ prefix: String = "topic") -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}

/// A consumer group id unique within this process run.
public func uniqueGroupID(_ prefix: String = "group") -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}

/// A logger for tests: errors and above only (librdkafka is chatty at info), unless
/// `CHOREO_TEST_LOG_LEVEL` says otherwise.
public func testLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    let level = ProcessInfo.processInfo.environment["CHOREO_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
    logger.logLevel = level ?? .error
    return logger
}

/// A producer configuration for the embedded broker: fast linger, short timeouts for tests.
public func embeddedProducerConfiguration(_ cluster: EmbeddedKafkaCluster) -> KafkaProducerConfiguration {
    var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
    configuration.linger = .milliseconds(1)
    configuration.messageTimeout = .seconds(30)
    return configuration
}

/// A consumer configuration for the embedded broker: `session.timeout.ms=6000` because the mock
/// waits about that long before completing a rebalance.
public func embeddedConsumerConfiguration(_ cluster: EmbeddedKafkaCluster, group: String) -> KafkaConsumerConfiguration
{
    var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: group)
    configuration.sessionTimeout = .seconds(6)
    configuration.heartbeatInterval = .milliseconds(500)
    configuration.autoOffsetReset = .earliest
    return configuration
}
