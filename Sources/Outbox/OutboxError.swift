/// An error of the outbox writer or relay.
///
/// `description` names what failed and why; it never contains payloads, connection
/// strings or passwords.
public struct OutboxError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Extensible: new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// The data does not satisfy its contract; nothing was written.
        public static let contractViolation = Code(name: "contract-violation")
        /// The event type has no contract in the registry.
        public static let unknownType = Code(name: "unknown-type")
        /// No topic carries the event type and none was given.
        public static let noTopic = Code(name: "no-topic")
        /// The event is larger than the configured bound.
        public static let tooLarge = Code(name: "too-large")
        /// Invalid configuration (names, sizes, intervals).
        public static let configuration = Code(name: "configuration")
        /// A stored row cannot be turned into a Kafka message (bad headers JSON).
        public static let malformedRow = Code(name: "malformed-row")
        /// A row's topic is not declared in `topics/` for its event type (relay with a project root).
        public static let undeclaredTopic = Code(name: "undeclared-topic")
        /// A row's topic does not exist on the broker.
        public static let unknownTopic = Code(name: "unknown-topic")
    }

    public var code: Code
    /// A human-readable explanation without payloads or secrets.
    public var message: String
    /// The underlying error, if any.
    public var underlying: (any Error)?

    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// Outbox errors are caused by the event or configuration, not by an outage: retrying
    /// the same call does not help.
    public var isRetriable: Bool { false }

    public var description: String { "outbox \(code): \(message)" }
}
