import Consumers
import Contracts
import Kafka
import Outbox
import Topics

/// What every hosted service shares, loaded once from the project root and injected into
/// each host: contracts, outbox routes, consumer-group specs and the Kafka client settings.
public struct ServiceEnvironment: Sendable {
    public var registry: ContractRegistry
    public var routes: OutboxRoutes
    public var groups: [ConsumerGroupSpec]
    public var kafka: KafkaConfiguration
    /// The declared topics (`topics/`): when set, the relay refuses rows whose topic does not
    /// declare their type, and consumers dead-letter a type that arrives on a topic that does
    /// not declare it (`wrong-topic`). `nil`: neither check.
    public var catalog: TopicCatalog?

    public init(
        registry: ContractRegistry, routes: OutboxRoutes, groups: [ConsumerGroupSpec], kafka: KafkaConfiguration,
        catalog: TopicCatalog? = nil
    ) {
        self.registry = registry
        self.routes = routes
        self.groups = groups
        self.kafka = kafka
        self.catalog = catalog
    }

    /// The groups of `consumers/*.yaml` whose `service:` is `service`.
    public func groups(of service: String) -> [ConsumerGroupSpec] {
        groups.filter { $0.service == service }
    }
}
