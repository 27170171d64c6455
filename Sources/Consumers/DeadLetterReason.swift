/// Why a message was dead-lettered: the `dlq_reason` header.
public struct DeadLetterReason: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The data does not satisfy its contract.
    public static let contractViolation = DeadLetterReason("contract-violation")
    /// The bytes are not a CloudEvent: missing or malformed attributes, or data that is not JSON.
    public static let undecodable = DeadLetterReason("undecodable")
    /// No handler (or contract) for the event type.
    public static let unknownType = DeadLetterReason("unknown-type")
    /// The handler declared a permanent failure (a domain rule that will never pass).
    public static let handlerError = DeadLetterReason("handler-error")
    /// The handler kept failing through every retry.
    public static let retriesExhausted = DeadLetterReason("retries-exhausted")
}
