/// An error of the dead-letter store, worker or replay.
///
/// `description` names what failed and what to fix; it never contains payloads,
/// connection strings or passwords.
public struct DeadLetterError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Extensible: new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// A consumed message lacks a `dlq_*` header the store needs.
        public static let malformedDeadLetter = Code(name: "malformed-dead-letter")
        /// No record with that id.
        public static let notFound = Code(name: "not-found")
        /// The destination is not declared in topics/ or consumers/, or does not carry the type.
        public static let undeclaredDestination = Code(name: "undeclared-destination")
        /// Edited data does not satisfy the contract of the event's type and version.
        public static let contractViolation = Code(name: "contract-violation")
        /// The request is refused as given (needs --yes, --force, a single record, …).
        public static let refused = Code(name: "refused")
        /// Invalid input or configuration.
        public static let invalidInput = Code(name: "invalid-input")
        /// Publishing a replayed message failed.
        public static let publishFailed = Code(name: "publish-failed")
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

    /// Only a failed publish may succeed when tried again unchanged.
    public var isRetriable: Bool { code == .publishFailed }

    public var description: String { "dead letters \(code): \(message)" }
}
