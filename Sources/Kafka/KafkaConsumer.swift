import CRdKafka
import Foundation
import Logging

/// A Kafka consumer in a group (``subscribe(topics:)``) or on manually assigned partitions
/// (``assign(_:)``). Offsets are committed only by the caller (no auto commit, no auto store).
///
/// Threading: all blocking librdkafka calls (poll, synchronous commit, committed offsets,
/// close) run on one dedicated consumer thread, one at a time; the async methods suspend
/// until it has run them. The rebalance handler runs on that thread. Non-blocking calls
/// (`subscribe`, `assign`, `pause`, `resume`, `seek`, `commitAsync`, `assignment`) run on the
/// caller's thread. One consumer is meant to be driven by one task (one `poll` loop).
public final class KafkaConsumer: Sendable {
    let handle: RDKafkaHandle
    let thread: KafkaWorkerThread
    let callbacks: ConsumerCallbackState
    let closed = OneShotLatch()
    /// The configuration the consumer was created with.
    public let configuration: KafkaConsumerConfiguration
    let logger: Logger

    /// Creates the consumer and its thread. Throws `.configuration` when librdkafka rejects a
    /// property. Does not contact the broker.
    public init(configuration: KafkaConsumerConfiguration, logger: Logger = Logger(label: "choreo.kafka.consumer"))
        throws
    {
        let callbacks = ConsumerCallbackState()
        let context = RDKafkaContext(logger: logger, consumer: callbacks)
        let handle = try RDKafkaHandle(
            type: RD_KAFKA_CONSUMER, properties: configuration.properties(), context: context,
            bootstrap: configuration.client.bootstrapDescription
        ) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, rdKafkaRebalanceCallback)
        }
        // Route the main queue (errors, logs) to the consumer queue served by our poll.
        rd_kafka_poll_set_consumer(handle.ownerPointer)
        self.handle = handle
        self.callbacks = callbacks
        self.thread = KafkaWorkerThread(name: "choreo.kafka.consumer")
        self.configuration = configuration
        self.logger = logger
    }

    deinit {
        // Close on the consumer thread; the job holds the handle, not `self`.
        let handle = self.handle
        let callbacks = self.callbacks
        let closed = self.closed
        if !closed.isFired {
            thread.stop { Self.closeNow(handle: handle, callbacks: callbacks, latch: closed) }
        }
    }

    /// Joins the group for `topics` (replacing an earlier subscription). Non-blocking.
    public func subscribe(topics: [String]) throws {
        let list = RDKafkaPartitionList.make(
            topics.map { KafkaTopicPartition(topic: $0, partition: choreo_partition_ua()) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = try handle.withPointer { rd_kafka_subscribe($0, list) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rd(err, "cannot subscribe", default: .consumer) }
    }

    /// Reads exactly these partitions from these offsets (use ``KafkaTopicPartitionOffset/beginning``,
    /// ``KafkaTopicPartitionOffset/end`` or ``KafkaTopicPartitionOffset/invalid`` for the committed
    /// offset). No group rebalance takes place. Non-blocking.
    public func assign(_ partitions: [KafkaTopicPartitionOffset]) throws {
        let list = RDKafkaPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = try handle.withPointer { rd_kafka_assign($0, list) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rd(err, "cannot assign", default: .consumer) }
    }

    /// Waits up to `timeout` for the first message, then takes what is already fetched, up to
    /// `maxMessages`. Returns `[]` on timeout. Partition EOF is ignored; retriable consumer errors
    /// are logged; fatal ones are thrown. Runs on the consumer thread (jobs submitted meanwhile,
    /// such as commits, run between 100 ms poll slices).
    public func poll(maxMessages: Int, timeout: Duration) async throws -> [KafkaConsumerMessage] {
        let handle = self.handle
        let thread = self.thread
        let logger = self.logger
        let limit = max(1, maxMessages)
        return try await thread.run {
            try Self.pollNow(handle: handle, thread: thread, logger: logger, maxMessages: limit, timeout: timeout)
        }
    }

    /// The messages as an asynchronous sequence built on ``poll(maxMessages:timeout:)``. It ends
    /// when the consumer is closed or the iterating task is cancelled. One iterator per consumer.
    public var messages: KafkaMessageSequence { KafkaMessageSequence(consumer: self) }

    /// Every assignment change, in order. Finishes when the consumer is closed.
    public var rebalanceEvents: AsyncStream<KafkaRebalanceEvent> { callbacks.events }

    /// Sets the handler called SYNCHRONOUSLY on the consumer thread inside the rebalance callback,
    /// BEFORE the assignment changes: on `.revoked` the partitions are still assigned, so the
    /// handler can commit finished work with ``commitSync(_:)``. Keep it short; do not call the
    /// async consumer methods from it (they would wait for the thread the handler is blocking).
    /// The handler may capture the consumer: it is released by ``close()``.
    public func setRebalanceHandler(_ handler: @escaping @Sendable (KafkaRebalanceEvent) -> Void) {
        callbacks.setHandler(handler)
    }

    /// Commits `offsets` (each the NEXT offset to read) and waits for the broker, on the consumer
    /// thread. Throws `.rebalanceInProgress` (retriable) when the group is rebalancing.
    public func commit(_ offsets: [KafkaTopicPartitionOffset]) async throws {
        guard !offsets.isEmpty else { return }
        let handle = self.handle
        try await thread.run { try Self.commitNow(handle: handle, offsets: offsets, async: false) }
    }

    /// Sends a commit without waiting for the result (failures are only logged by librdkafka).
    public func commitAsync(_ offsets: [KafkaTopicPartitionOffset]) throws {
        guard !offsets.isEmpty else { return }
        try Self.commitNow(handle: handle, offsets: offsets, async: true)
    }

    /// Commits and BLOCKS the calling thread until the broker answers. Meant for the rebalance
    /// handler (which runs on the consumer thread); elsewhere prefer ``commit(_:)``.
    public func commitSync(_ offsets: [KafkaTopicPartitionOffset]) throws {
        guard !offsets.isEmpty else { return }
        try Self.commitNow(handle: handle, offsets: offsets, async: false)
    }

    /// The group's committed offsets for `partitions`; ``KafkaTopicPartitionOffset/invalid`` (-1001)
    /// where nothing was committed.
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration) async throws
        -> [KafkaTopicPartitionOffset]
    {
        let handle = self.handle
        return try await thread.run {
            let list = RDKafkaPartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = try handle.withPointer { rd_kafka_committed($0, list, timeout.timeoutMilliseconds) }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.rd(err, "cannot read committed offsets from \(handle.bootstrap)", default: .consumer)
            }
            return RDKafkaPartitionList.offsets(list)
        }
    }

    /// Stops fetching from `partitions` (the assignment is kept). Non-blocking.
    public func pause(_ partitions: [KafkaTopicPartition]) throws {
        try pauseOrResume(partitions, pause: true)
    }

    /// Resumes fetching from paused `partitions`. Non-blocking.
    public func resume(_ partitions: [KafkaTopicPartition]) throws {
        try pauseOrResume(partitions, pause: false)
    }

    /// Moves the fetch position of an assigned partition (e.g. back to the first message of a
    /// failed batch). Messages already fetched past it are discarded. Non-blocking.
    public func seek(_ to: KafkaTopicPartitionOffset) throws {
        let list = RDKafkaPartitionList.make([to])
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = try handle.withPointer { rd_kafka_seek_partitions($0, list, 0) }
        if let error { throw KafkaError.consume(error, "cannot seek \(to)", default: .consumer) }
        // With a zero timeout the seek is asynchronous and reports "in progress" per partition.
        if let error = RDKafkaPartitionList.firstError(list, "cannot seek", default: .consumer),
            error.rdKafkaCode != RD_KAFKA_RESP_ERR__IN_PROGRESS.rawValue
        {
            throw error
        }
    }

    /// A partition's high watermark (the next offset to be written) as the last fetch
    /// reported it: local, no broker round trip, non-blocking. `nil` while unknown.
    public func cachedHighWatermark(_ partition: KafkaTopicPartition) -> Int64? {
        var low: Int64 = -1
        var high: Int64 = -1
        let err = try? handle.withPointer {
            rd_kafka_get_watermark_offsets($0, partition.topic, partition.partition, &low, &high)
        }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return high
    }

    /// The partitions currently assigned to this consumer.
    public var assignment: [KafkaTopicPartition] {
        get throws {
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            let err = try handle.withPointer { rd_kafka_assignment($0, &list) }
            defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.rd(err, "cannot read the assignment", default: .consumer)
            }
            return RDKafkaPartitionList.partitions(list)
        }
    }

    /// Leaves the group (the rebalance handler sees the final `.revoked`), destroys the handle and
    /// stops the thread. Commits nothing by itself. Idempotent; later calls fail with `.closed`.
    public func close() async {
        let handle = self.handle
        let callbacks = self.callbacks
        let closed = self.closed
        thread.stop { Self.closeNow(handle: handle, callbacks: callbacks, latch: closed) }
        await closed.wait()
    }

    private func pauseOrResume(_ partitions: [KafkaTopicPartition], pause: Bool) throws {
        let list = RDKafkaPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = try handle.withPointer {
            pause ? rd_kafka_pause_partitions($0, list) : rd_kafka_resume_partitions($0, list)
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rd(err, pause ? "cannot pause" : "cannot resume", default: .consumer)
        }
        if let error = RDKafkaPartitionList.firstError(
            list, pause ? "cannot pause" : "cannot resume", default: .consumer)
        {
            throw error
        }
    }
}
