import Contracts

/// Which topic carries each event type: the writer's default destination when an
/// `OutboxEvent` names no topic. Built from `topics/*.yaml` by the CLI and services.
public struct OutboxRoutes: Sendable {
    private var topicsByType: [String: String]

    /// - Parameter topicsByType: event type with version (`order.placed.v1`) or without
    ///   (`order.placed`, any version) to topic name.
    public init(_ topicsByType: [String: String] = [:]) {
        self.topicsByType = topicsByType
    }

    /// The topic for `type`: an exact `name.vN` route first, then a route for the name.
    public func topic(for type: EventType) -> String? {
        topicsByType[type.description] ?? topicsByType[type.name]
    }
}
