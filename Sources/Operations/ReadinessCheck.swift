/// One named condition of `GET /health/ready`: the process is ready when every check passes.
public struct ReadinessCheck: Sendable {
    /// What a probe found: whether the condition holds, and a short reason when it does not
    /// (never a secret or a payload).
    public struct Result: Sendable, Equatable {
        public var ready: Bool
        public var detail: String?

        public init(ready: Bool, detail: String? = nil) {
            self.ready = ready
            self.detail = detail
        }
    }

    public let name: String
    public let probe: @Sendable () async -> Result

    public init(name: String, probe: @escaping @Sendable () async -> Result) {
        self.name = name
        self.probe = probe
    }
}
