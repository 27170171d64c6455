import Outbox
import Topics

extension TopicCatalog {
    /// The outbox writer's routes: each event type to the events/commands topic carrying it.
    public var outboxRoutes: OutboxRoutes {
        var routes: [String: String] = [:]
        for topic in topics where topic.kind == .events || topic.kind == .commands {
            for type in topic.eventTypes { routes[type] = topic.name }
        }
        return OutboxRoutes(routes)
    }
}

extension TopicCatalog {
    /// For the relay: each event type to the events/commands topics that declare it.
    public var declaredTopicsByType: [String: Set<String>] {
        var declared: [String: Set<String>] = [:]
        for topic in topics where topic.kind == .events || topic.kind == .commands {
            for type in topic.eventTypes { declared[type, default: []].insert(topic.name) }
        }
        return declared
    }
}
