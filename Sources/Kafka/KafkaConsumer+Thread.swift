import CRdKafka
import Foundation
import Logging

extension KafkaConsumer {
    /// The body of `poll`, on the consumer thread.
    static func pollNow(
        handle: RDKafkaHandle, thread: KafkaWorkerThread, logger: Logger, maxMessages: Int, timeout: Duration
    ) throws -> [KafkaConsumerMessage] {
        guard !handle.isDestroyed else { throw KafkaError.closed("the consumer") }
        let rk = handle.ownerPointer
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var messages: [KafkaConsumerMessage] = []
        messages.reserveCapacity(min(maxMessages, 1024))
        var topics = TopicNameCache()
        while messages.count < maxMessages {
            let wait: Int32
            if messages.isEmpty {
                let left = deadline - ContinuousClock.now
                wait = min(left.timeoutMilliseconds, 100)
            } else {
                wait = 0
            }
            guard let raw = rd_kafka_consumer_poll(rk, wait) else {
                if !messages.isEmpty || ContinuousClock.now >= deadline { break }
                thread.runPending()  // let commits and other jobs in between slices
                if handle.isDestroyed { throw KafkaError.closed("the consumer") }
                continue
            }
            defer { rd_kafka_message_destroy(raw) }
            let message = raw.pointee
            if message.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
                let error = KafkaError.rd(message.err, "consumer error", default: .consumer)
                if error.isFatal || message.err == RD_KAFKA_RESP_ERR__FATAL {
                    var fatal = error
                    fatal.code = .fatal
                    fatal.isFatal = true
                    throw fatal
                }
                logger.warning("consumer error (continuing): \(error)")
                continue
            }
            messages.append(makeMessage(raw, topics: &topics))
        }
        return messages
    }

    static func makeMessage(_ raw: UnsafeMutablePointer<rd_kafka_message_t>, topics: inout TopicNameCache)
        -> KafkaConsumerMessage
    {
        let m = raw.pointee
        let key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        let value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) }
        var headers: [KafkaHeader] = []
        var hdrs: OpaquePointer?
        if rd_kafka_message_headers(raw, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
            let count = rd_kafka_header_cnt(hdrs)
            headers.reserveCapacity(count)
            for index in 0..<count {
                var name: UnsafePointer<CChar>?
                var valuePointer: UnsafeRawPointer?
                var size = 0
                guard rd_kafka_header_get_all(hdrs, index, &name, &valuePointer, &size) == RD_KAFKA_RESP_ERR_NO_ERROR
                else { break }
                headers.append(
                    KafkaHeader(
                        key: name.map { String(cString: $0) } ?? "",
                        value: valuePointer.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
            }
        }
        var tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ts = rd_kafka_message_timestamp(raw, &tsType)
        return KafkaConsumerMessage(
            topic: topics.name(m.rkt), partition: m.partition, offset: m.offset, key: key, value: value,
            headers: headers,
            timestamp: ts >= 0 && tsType != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
                ? Date(timeIntervalSince1970: Double(ts) / 1000) : nil)
    }

    static func commitNow(handle: RDKafkaHandle, offsets: [KafkaTopicPartitionOffset], async: Bool) throws {
        let list = RDKafkaPartitionList.make(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = try handle.withPointer { rd_kafka_commit($0, list, async ? 1 : 0) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rd(err, "commit failed", default: .consumer) }
        if !async, let error = RDKafkaPartitionList.firstError(list, "commit failed for", default: .consumer) {
            throw error
        }
    }

    /// Closes on the consumer thread (serving the final rebalance), then destroys the handle.
    static func closeNow(handle: RDKafkaHandle, callbacks: ConsumerCallbackState, latch: OneShotLatch) {
        if !handle.isDestroyed {
            let err = rd_kafka_consumer_close(handle.ownerPointer)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                handle.context.logger.warning("consumer close: \(KafkaError.rd(err, "close"))")
            }
            handle.destroy()
        }
        callbacks.finish()
        latch.fire()
    }
}

/// Caches the Swift string of the last topic handle seen: most batches come from one topic.
struct TopicNameCache {
    private var last: OpaquePointer?
    private var lastName = ""

    mutating func name(_ rkt: OpaquePointer?) -> String {
        guard let rkt else { return "" }
        if rkt != last {
            last = rkt
            lastName = String(cString: rd_kafka_topic_name(rkt))
        }
        return lastName
    }
}
