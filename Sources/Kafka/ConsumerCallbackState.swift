import CRdKafka
import Logging
import Synchronization

/// What the rebalance callback needs: the caller's handler and the event stream.
final class ConsumerCallbackState: Sendable {
    typealias Handler = @Sendable (KafkaRebalanceEvent) -> Void
    private let handler = Mutex<Handler?>(nil)
    let events: AsyncStream<KafkaRebalanceEvent>
    private let continuation: AsyncStream<KafkaRebalanceEvent>.Continuation

    init() {
        // Bounded: nobody may be listening, and only the recent history matters.
        (events, continuation) = AsyncStream.makeStream(
            of: KafkaRebalanceEvent.self, bufferingPolicy: .bufferingNewest(1000))
    }

    func setHandler(_ handler: @escaping Handler) {
        self.handler.withLock { $0 = handler }
    }

    /// Calls the handler synchronously, then publishes the event.
    func deliver(_ event: KafkaRebalanceEvent) {
        let handler = self.handler.withLock { $0 }
        handler?(event)
        continuation.yield(event)
    }

    /// Ends the stream and drops the handler, which commonly captures the consumer (a cycle
    /// that would otherwise keep the consumer alive after close).
    func finish() {
        handler.withLock { $0 = nil }
        continuation.finish()
    }
}

/// `rebalance_cb`: runs on the consumer thread inside `rd_kafka_consumer_poll` or
/// `rd_kafka_consumer_close`. The handler sees the event BEFORE the assignment changes.
func rdKafkaRebalanceCallback(
    _ rk: OpaquePointer?, _ err: rd_kafka_resp_err_t,
    _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, _ opaque: UnsafeMutableRawPointer?
) {
    guard let rk, let opaque else { return }
    let context = Unmanaged<RDKafkaContext>.fromOpaque(opaque).takeUnretainedValue()
    let list = RDKafkaPartitionList.partitions(partitions)
    let cooperative = choreo_rebalance_is_cooperative(rk) != 0
    switch err {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        context.consumer?.deliver(.assigned(list))
        if cooperative {
            if let error = rd_kafka_incremental_assign(rk, partitions) {
                context.logger.error("incremental assign failed: \(KafkaError.consume(error, "assign"))")
            }
        } else {
            let result = rd_kafka_assign(rk, partitions)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                context.logger.error("assign failed: \(KafkaError.rd(result, "assign"))")
            }
        }
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
        let lost = rd_kafka_assignment_lost(rk) != 0
        context.consumer?.deliver(lost ? .lost(list) : .revoked(list))
        if cooperative {
            if let error = rd_kafka_incremental_unassign(rk, partitions) {
                context.logger.error("incremental unassign failed: \(KafkaError.consume(error, "unassign"))")
            }
        } else {
            _ = rd_kafka_assign(rk, nil)
        }
    default:
        context.logger.error("rebalance error: \(KafkaError.rd(err, "rebalance"))")
        _ = rd_kafka_assign(rk, nil)
    }
}
