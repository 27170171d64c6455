import Kafka
import Postgres

/// An error that says whether the same work may succeed if simply tried again later: the
/// consumer runtime's transient/permanent split.
///
/// When a handler (or the runtime's own database or broker work) throws an error whose
/// `isRetriable` is `true`, the runtime treats it as an outage: it rolls the batch back,
/// pauses the batch's partitions and retries the *same batch in place* with backoff
/// (`initialBackoff` … `maximumBackoff`), for as long as it takes. Such an event is never
/// sent to a retry topic or dead-lettered. Any other error (including one of a conforming
/// type with `isRetriable == false`) is a handler failure: the event goes through the
/// group's retry topics and is dead-lettered when they are spent; throw ``PermanentFailure``
/// to dead-letter at once.
///
/// `PostgresError`, `KafkaError` and ``ConsumerError`` conform. A handler's own error adopts
/// it to mark a condition that will pass, for example a dependency that is down:
///
/// ```swift
/// struct LedgerUnavailable: RetriableError { var isRetriable: Bool { true } }
/// ```
///
/// Retry in place holds back the whole batch's partitions, so mark only conditions that
/// affect every event alike; an error specific to one event belongs in the retry topics.
public protocol RetriableError: Error {
    /// `true` for a transient condition: retried in place, never dead-lettered.
    var isRetriable: Bool { get }
}

extension PostgresError: RetriableError {}
extension KafkaError: RetriableError {}
extension ConsumerError: RetriableError {}

/// Whether `error` is transient: a ``RetriableError`` that says it is retriable.
func isTransient(_ error: any Error) -> Bool {
    (error as? any RetriableError)?.isRetriable ?? false
}
