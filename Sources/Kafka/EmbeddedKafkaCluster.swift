import CRdKafka
import Foundation
import Logging

/// An in-process Kafka cluster: librdkafka's mock cluster (`rdkafka_mock.h`), for tests,
/// benchmarks and `choreo broker`.
///
/// It supports produce/fetch, consumer groups and offset commits, idempotent producers, and
/// fault injection (request errors, broker down/up, latency, leader changes). It has NO admin
/// API (topics come from ``createTopic(_:partitions:replicationFactor:)``), no TLS/SASL, no
/// durability, and keeps data in memory only. Unknown topics are auto-created on first use.
/// All methods are thread-safe; after ``shutdown()`` they throw `.closed`.
public final class EmbeddedKafkaCluster: Sendable {
    private let handle: RDKafkaHandle
    private let cluster: MockClusterPointer
    /// The `host:port` list clients connect to (comma-separated).
    public let bootstrapServers: String
    /// The broker ids (1...brokers).
    public let brokerIDs: [Int32]

    /// Starts a cluster of `brokers` brokers listening on 127.0.0.1 ephemeral ports.
    public init(brokers: Int = 1, logger: Logger = Logger(label: "choreo.kafka.embedded")) throws {
        guard brokers >= 1 else {
            throw KafkaError(code: .invalidArgument, message: "an embedded cluster needs at least one broker")
        }
        // The mock cluster lives on a dedicated, otherwise unused client handle.
        let handle = try RDKafkaHandle(
            type: RD_KAFKA_PRODUCER,
            properties: ["log.connection.close": "false", "client.id": "choreo-embedded-broker"],
            context: RDKafkaContext(logger: logger), bootstrap: "")
        guard let mcluster = rd_kafka_mock_cluster_new(handle.ownerPointer, Int32(clamping: brokers)) else {
            throw KafkaError(code: .unknown, message: "cannot start the embedded Kafka cluster")
        }
        self.handle = handle
        self.cluster = MockClusterPointer(pointer: mcluster)
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mcluster))
        self.brokerIDs = (1...Int32(clamping: brokers)).map { $0 }
    }

    deinit { shutdown() }

    /// Creates a topic (replication factor at most the number of brokers).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        guard !name.isEmpty, partitions >= 1, replicationFactor >= 1, replicationFactor <= brokerIDs.count else {
            throw KafkaError(
                code: .invalidArgument,
                message: "invalid topic \(name): \(partitions) partitions, replication \(replicationFactor)")
        }
        try check(
            try cluster.with {
                rd_kafka_mock_topic_create($0, name, Int32(clamping: partitions), Int32(clamping: replicationFactor))
            }, "create topic \(name)")
    }

    /// Takes a broker down: its connections are closed and new ones refused.
    public func setBrokerDown(_ id: Int32) throws {
        try check(try cluster.with { rd_kafka_mock_broker_set_down($0, id) }, "set broker \(id) down")
    }

    /// Brings a broker back up.
    public func setBrokerUp(_ id: Int32) throws {
        try check(try cluster.with { rd_kafka_mock_broker_set_up($0, id) }, "set broker \(id) up")
    }

    /// Delays every response of a broker by `rtt`.
    public func setBrokerLatency(_ id: Int32, _ rtt: Duration) throws {
        try check(
            try cluster.with { rd_kafka_mock_broker_set_rtt($0, id, Int32(clamping: rtt.milliseconds)) },
            "set broker \(id) latency")
    }

    /// Makes the next `errors.count` requests of type `apiKey` (to any broker) fail with these
    /// errors, in order. ``KafkaErrorCode/transport`` makes the broker drop the connection.
    public func pushRequestErrors(apiKey: KafkaAPIKey, errors: [KafkaErrorCode]) throws {
        let codes = errors.map { rd_kafka_resp_err_t(rawValue: $0.rawValue) }
        try cluster.with { mc in
            codes.withUnsafeBufferPointer {
                rd_kafka_mock_push_request_errors_array(mc, apiKey.rawValue, $0.count, $0.baseAddress)
            }
        }
    }

    /// Removes errors pushed for `apiKey` that were not consumed yet.
    public func clearRequestErrors(apiKey: KafkaAPIKey) {
        _ = try? cluster.with { rd_kafka_mock_clear_request_errors($0, apiKey.rawValue) }
    }

    /// Moves a partition's leadership to `broker`.
    public func setPartitionLeader(topic: String, partition: Int32, broker: Int32) throws {
        try check(
            try cluster.with { rd_kafka_mock_partition_set_leader($0, topic, partition, broker) },
            "set leader of \(topic)[\(partition)]")
    }

    /// Stops every broker and frees the cluster. Idempotent; also done by `deinit`.
    public func shutdown() {
        cluster.destroy()
        handle.destroy()
    }

    private func check(_ err: rd_kafka_resp_err_t, _ what: String) throws {
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rd(err, "embedded cluster: cannot \(what)") }
    }
}

/// The `rd_kafka_mock_cluster_t`, destroyed once.
// Safe: `destroyed` guarded by `lock`; mock functions are thread-safe (they post to the mock thread)
private final class MockClusterPointer: @unchecked Sendable {
    private let pointer: OpaquePointer
    private let lock = NSLock()
    private var destroyed = false

    init(pointer: OpaquePointer) { self.pointer = pointer }

    func with<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard !destroyed else { throw KafkaError.closed("the embedded cluster") }
        return try body(pointer)
    }

    func destroy() {
        lock.lock()
        defer { lock.unlock() }
        guard !destroyed else { return }
        destroyed = true
        rd_kafka_mock_cluster_destroy(pointer)
    }
}
