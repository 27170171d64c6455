/// A service that cannot be described, configured or started as asked.
public struct ServiceError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public var description: String { rawValue }
        /// A service description or a `consumers/*.yaml` entry that does not fit it.
        public static let configuration = Code(rawValue: "configuration")
        /// No service of that name is known to this build.
        public static let unknownService = Code(rawValue: "unknown-service")
        /// The service's database cannot be reached or created.
        public static let database = Code(rawValue: "database")
        /// A service stopped by itself, or did not get ready in time.
        public static let stopped = Code(rawValue: "stopped")
    }

    public var code: Code
    /// Safe to print: never contains a password or event data.
    public var message: String
    /// Whether trying again later can succeed (a database that is not up yet).
    public var isRetriable: Bool

    public init(code: Code, message: String, isRetriable: Bool = false) {
        self.code = code
        self.message = message
        self.isRetriable = isRetriable
    }

    public var description: String { "\(code): \(message)" }
}
