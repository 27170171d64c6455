/// An error of the consumer runtime. `description` never contains payloads or secrets.
public struct ConsumerError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        public static let configuration = Code(name: "configuration")
        public static let specification = Code(name: "specification")
        public static let deadLetterFailed = Code(name: "dead-letter-failed")
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// Always `false`: a retry or dead letter that can be sent later never surfaces as an
    /// error (its partition is held back instead); these errors need a person.
    public var isRetriable: Bool { false }
    public var description: String { "consumer \(code): \(message)" }
}
