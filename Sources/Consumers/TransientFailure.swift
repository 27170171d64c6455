import Kafka
import Postgres

/// The transient/permanent split: infrastructure errors that will pass (database or
/// broker unreachable, serialization failure, lock timeout) are retried in place and
/// never dead-lettered.
enum TransientFailure {
    static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let error as PostgresError: return error.isRetriable
        case let error as KafkaError: return error.isRetriable
        case let error as ConsumerError: return error.isRetriable
        default: return false
        }
    }
}
