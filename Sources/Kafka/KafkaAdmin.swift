import CRdKafka
import Foundation
import Logging

/// Topic administration, metadata, watermarks and committed offsets.
///
/// Threading: every call runs on the admin's dedicated thread (one at a time) and the async
/// methods suspend meanwhile. Controller-based operations (create/delete topics, partitions,
/// configs) first check that the cluster has a reachable controller: the embedded broker has
/// none (and no admin API), so they fail fast with ``KafkaError/Code/brokerUnsupported``
/// instead of hanging until their timeout.
public final class KafkaAdmin: Sendable {
    let handle: RDKafkaHandle
    let thread: KafkaWorkerThread
    let configuration: KafkaConfiguration
    let logger: Logger

    /// Creates the admin client. Throws `.configuration` for a rejected property.
    public init(configuration: KafkaConfiguration, logger: Logger = Logger(label: "choreo.kafka.admin")) throws {
        var properties = configuration.properties()
        properties.merge(configuration.rawProperties) { _, raw in raw }
        self.handle = try RDKafkaHandle(
            type: RD_KAFKA_PRODUCER, properties: properties, context: RDKafkaContext(logger: logger),
            bootstrap: configuration.bootstrapDescription)
        self.thread = KafkaWorkerThread(name: "choreo.kafka.admin")
        self.configuration = configuration
        self.logger = logger
    }

    deinit {
        let handle = self.handle
        thread.stop { handle.destroy() }
    }

    /// Cluster metadata (all topics). Throws `.transport`/`.timeout` naming the bootstrap servers.
    public func metadata(timeout: Duration) async throws -> KafkaClusterMetadata {
        let handle = self.handle
        return try await thread.run { try Self.fetchMetadata(handle: handle, timeout: timeout) }
    }

    /// The low and high watermarks (first offset, next offset to be written) of a partition.
    public func watermarks(topic: String, partition: Int32, timeout: Duration) async throws -> (low: Int64, high: Int64)
    {
        let handle = self.handle
        let result = try await thread.run { () throws -> [Int64] in
            var low: Int64 = -1
            var high: Int64 = -1
            let err = try handle.withPointer {
                rd_kafka_query_watermark_offsets($0, topic, partition, &low, &high, timeout.timeoutMilliseconds)
            }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.rd(err, "cannot read watermarks of \(topic)[\(partition)] from \(handle.bootstrap)")
            }
            return [low, high]
        }
        return (result[0], result[1])
    }

    /// The offsets `group` committed for `partitions`; ``KafkaTopicPartitionOffset/invalid``
    /// (-1001) where none. Reads them with a short-lived consumer that does not join the group.
    public func committedOffsets(group: String, partitions: [KafkaTopicPartition], timeout: Duration) async throws
        -> [KafkaTopicPartitionOffset]
    {
        let configuration = self.configuration
        let logger = self.logger
        return try await thread.run {
            var consumerConfiguration = KafkaConsumerConfiguration(client: configuration, groupID: group)
            consumerConfiguration.client.clientID = configuration.clientID + "-offsets"
            let handle = try RDKafkaHandle(
                type: RD_KAFKA_CONSUMER, properties: consumerConfiguration.properties(),
                context: RDKafkaContext(logger: logger),
                bootstrap: configuration.bootstrapDescription)
            defer { handle.destroy() }
            let list = RDKafkaPartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(handle.ownerPointer, list, timeout.timeoutMilliseconds)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.rd(
                    err, "cannot read committed offsets of group \(group) from \(handle.bootstrap)", default: .consumer)
            }
            return RDKafkaPartitionList.offsets(list)
        }
    }

    static func fetchMetadata(handle: RDKafkaHandle, timeout: Duration) throws -> KafkaClusterMetadata {
        var pointer: UnsafePointer<rd_kafka_metadata>?
        let err = try handle.withPointer { rd_kafka_metadata($0, 1, nil, &pointer, timeout.timeoutMilliseconds) }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md = pointer else {
            var error = KafkaError.rd(
                err, "cannot fetch metadata from bootstrap servers \(handle.bootstrap) within \(timeout)")
            if error.code == .unknown { error.code = .transport }
            throw error
        }
        defer { rd_kafka_metadata_destroy(md) }
        let m = md.pointee
        let brokers = (0..<Int(m.broker_cnt)).map { i in
            let b = m.brokers[i]
            return KafkaClusterMetadata.Broker(id: b.id, host: b.host.map { String(cString: $0) } ?? "", port: b.port)
        }
        let topics = (0..<Int(m.topic_cnt)).map { i in
            let t = m.topics[i]
            let partitions = (0..<Int(t.partition_cnt)).map { j in
                let p = t.partitions[j]
                return KafkaClusterMetadata.Partition(
                    id: p.id, leader: p.leader,
                    replicas: (0..<Int(p.replica_cnt)).map { p.replicas[$0] },
                    inSyncReplicas: (0..<Int(p.isr_cnt)).map { p.isrs[$0] })
            }
            return KafkaClusterMetadata.Topic(
                name: t.topic.map { String(cString: $0) } ?? "", partitions: partitions.sorted { $0.id < $1.id },
                errorCode: t.err.rawValue)
        }
        return KafkaClusterMetadata(brokers: brokers, topics: topics)
    }

    /// Fails fast unless the cluster has a controller among its brokers (admin requests go there).
    static func requireController(handle: RDKafkaHandle, operation: String, timeout: Duration) throws {
        let metadata = try fetchMetadata(handle: handle, timeout: timeout)
        let controller = try handle.withPointer {
            rd_kafka_controllerid($0, min(timeout, .seconds(2)).timeoutMilliseconds)
        }
        guard controller >= 0, metadata.brokers.contains(where: { $0.id == controller }) else {
            throw KafkaError(
                code: .brokerUnsupported,
                message:
                    "the broker does not support \(operation) (the embedded librdkafka mock cluster has no admin API; declare topics with `choreo broker --topics`)"
            )
        }
    }
}
