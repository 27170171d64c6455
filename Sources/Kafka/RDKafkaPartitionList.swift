import CRdKafka
import Synchronization

/// Conversions between Swift partition values and `rd_kafka_topic_partition_list_t`.
enum RDKafkaPartitionList {
    typealias ListPointer = UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    static func make(_ offsets: [KafkaTopicPartitionOffset]) -> ListPointer {
        // NULL only when allocation fails, which nothing here could recover from.
        guard let list = rd_kafka_topic_partition_list_new(Int32(clamping: offsets.count)) else {
            preconditionFailure("rd_kafka_topic_partition_list_new: out of memory")
        }
        for item in offsets {
            let element = rd_kafka_topic_partition_list_add(list, item.topic, item.partition)
            element?.pointee.offset = item.offset
        }
        return list
    }

    static func make(_ partitions: [KafkaTopicPartition]) -> ListPointer {
        make(
            partitions.map {
                KafkaTopicPartitionOffset(
                    topic: $0.topic, partition: $0.partition, offset: KafkaTopicPartitionOffset.invalid)
            })
    }

    static func offsets(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaTopicPartitionOffset] {
        guard let list, let elements = list.pointee.elems else { return [] }
        return (0..<Int(list.pointee.cnt)).map { i in
            let e = elements[i]
            return KafkaTopicPartitionOffset(
                topic: e.topic.map { String(cString: $0) } ?? "", partition: e.partition, offset: e.offset)
        }
    }

    static func partitions(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaTopicPartition] {
        offsets(list).map(\.topicPartition)
    }

    /// The first per-partition error in the list, if any.
    static func firstError(
        _ list: UnsafePointer<rd_kafka_topic_partition_list_t>, _ context: String, default fallback: KafkaError.Code
    ) -> KafkaError? {
        guard let elements = list.pointee.elems else { return nil }
        for i in 0..<Int(list.pointee.cnt) where elements[i].err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let topic = elements[i].topic.map { String(cString: $0) } ?? ""
            return KafkaError.rd(elements[i].err, "\(context) \(topic)[\(elements[i].partition)]", default: fallback)
        }
        return nil
    }
}

/// A latch fired once; waiters before and after are all released.
final class OneShotLatch: Sendable {
    private struct State {
        var fired = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Synchronization.Mutex(State())

    var isFired: Bool { state.withLock { $0.fired } }

    func fire() {
        let waiters = state.withLock { s in
            s.fired = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let fired = state.withLock { s in
                if s.fired { return true }
                s.waiters.append(continuation)
                return false
            }
            if fired { continuation.resume() }
        }
    }
}
