import Kafka
import Logging

/// Which topics exist on the broker, so that a row naming a topic the broker does not know
/// blocks its key before anything is produced (a producer would otherwise wait, or have the
/// broker auto-create the topic). Metadata is read when a row names a topic not yet seen,
/// at most once per `refreshInterval`.
struct BrokerTopics {
    let client: KafkaConfiguration
    let logger: Logger
    var refreshInterval: Duration = .seconds(1)
    /// After metadata could not be read, how long the producer decides alone.
    var failureInterval: Duration = .seconds(10)
    private var admin: KafkaAdmin?
    private var known: Set<String> = []
    private var lastRefresh: ContinuousClock.Instant?
    private var lastFailed = false

    /// - Parameter client: the relay producer's client settings; the producer-only settings
    ///   the relay adds (`RelaySafetySettings`) are left out of the metadata client.
    init(client: KafkaConfiguration, logger: Logger) {
        var client = client
        client.clientID += "-metadata"
        let producerOnly = Set(RelaySafetySettings.protectedProperties.map(\.key))
        client.rawProperties = client.rawProperties.filter { !producerOnly.contains($0.key.lowercased()) }
        self.client = client
        self.logger = logger
    }

    /// `true` or `false` when the broker's metadata says; `nil` when it cannot be read now
    /// (the producer then decides).
    mutating func exists(_ topic: String) async -> Bool? {
        if known.contains(topic) { return true }
        if let lastRefresh, ContinuousClock.now - lastRefresh < (lastFailed ? failureInterval : refreshInterval) {
            return lastFailed ? nil : false
        }
        lastRefresh = .now
        lastFailed = true
        do {
            if admin == nil { admin = try KafkaAdmin(configuration: client, logger: logger) }
            guard let admin else { return nil }
            let metadata = try await admin.metadata(timeout: .seconds(2))
            known = Set(metadata.topics.filter { $0.errorCode == 0 && !$0.partitions.isEmpty }.map(\.name))
            lastFailed = false
            return known.contains(topic)
        } catch {
            logger.debug("cannot read the broker's topics; the producer decides", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
