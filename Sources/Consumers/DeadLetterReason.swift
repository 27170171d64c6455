/// Why a message was dead-lettered: the `dlq_reason` header.
public struct DeadLetterReason: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The data does not satisfy its contract.
    public static let contractViolation = DeadLetterReason("contract-violation")
    /// The bytes are not a CloudEvent: missing or malformed attributes, or data that is not JSON.
    public static let undecodable = DeadLetterReason("undecodable")
    /// No contract for the event type (at any version the group can read).
    public static let unknownType = DeadLetterReason("unknown-type")
    /// The type is not declared for the topic it arrived on (`topics/*.yaml` `eventTypes`).
    public static let wrongTopic = DeadLetterReason("wrong-topic")
    /// Over the consumer's limits (message size, header count or header size), or a retry or
    /// dead letter that cannot be published whole: dead-lettered in its cut-down form.
    public static let oversized = DeadLetterReason("oversized")
    /// The handler declared a permanent failure (a domain rule that will never pass).
    public static let handlerError = DeadLetterReason("handler-error")
    /// The handler kept failing through every retry.
    public static let retriesExhausted = DeadLetterReason("retries-exhausted")
}
