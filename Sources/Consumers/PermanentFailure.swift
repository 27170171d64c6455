/// Thrown by a handler for a failure that no retry will fix (a domain rule that will never
/// pass): the event is dead-lettered at once with reason `handler-error`.
///
/// Any other error a handler throws is retried through the group's retry topics, except a
/// ``RetriableError`` whose `isRetriable` is `true` (`PostgresError` and `KafkaError`
/// outages, or a handler's own transient error), which is retried in place without
/// dead-lettering.
public struct PermanentFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
