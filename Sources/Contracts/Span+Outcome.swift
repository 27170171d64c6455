import Kafka
import Tracing

extension Span {
    /// Records `error` on the span, marks it failed and ends it.
    public func fail(_ error: any Error) {
        recordError(error)
        setStatus(SpanStatus(code: .error, message: "\(error)"))
        end()
    }

    /// Marks the span failed with `message` and ends it.
    public func fail(message: String) {
        setStatus(SpanStatus(code: .error, message: message))
        end()
    }

    /// Ends a span that produced one Kafka message: with the partition and offset of its
    /// delivery report (`messaging.destination.partition.id`, `messaging.kafka.offset`), or
    /// failed with the delivery error.
    public func end(delivery result: Result<KafkaDeliveryReport, KafkaError>) {
        switch result {
        case .success(let report):
            updateAttributes {
                $0["messaging.destination.partition.id"] = String(report.partition)
                $0["messaging.kafka.offset"] = report.offset
            }
            end()
        case .failure(let error):
            fail(error)
        }
    }
}
