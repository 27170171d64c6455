/// Why Kafka headers are not a valid CloudEvents 1.0 binary-mode envelope.
public struct EnvelopeError: Error, Sendable, CustomStringConvertible, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        public static let missingAttribute = Code(name: "missing-attribute")
        public static let malformedAttribute = Code(name: "malformed-attribute")
        public static let unsupportedSpecVersion = Code(name: "unsupported-specversion")
        public static let unsupportedContentType = Code(name: "unsupported-content-type")
        /// More headers than `EventEnvelope.maxHeaderCount`.
        public static let tooManyHeaders = Code(name: "too-many-headers")
        /// A header name or value over `EventEnvelope.maxHeaderKeyBytes` / `maxHeaderValueBytes`.
        public static let oversizedHeader = Code(name: "oversized-header")
    }

    public var code: Code
    /// The header concerned, e.g. `ce_type`.
    public var attribute: String
    public var message: String

    public var description: String { "\(code) \(attribute): \(message)" }
}
