/// Thrown by a handler for a failure that no retry will fix (a domain rule that will never
/// pass): the event is dead-lettered at once with reason `handler-error`.
///
/// Any other error a handler throws is retried through the group's retry topics, except
/// infrastructure errors marked retriable (`PostgresError.isRetriable`,
/// `KafkaError.isRetriable`), which are retried in place without dead-lettering.
public struct PermanentFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
