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

extension TopicCatalog {
    /// For a consumer group's `wrong-topic` check: the types each of `topics` declares.
    /// Topics without a spec in `topics/` (and retry, dead-letter or replay topics) are not checked.
    public func declaredTypes(ofTopics names: [String]) -> [String: Set<String>] {
        var types: [String: Set<String>] = [:]
        for name in names {
            guard let topic = topic(named: name), topic.kind == .events || topic.kind == .commands else { continue }
            types[name] = Set(topic.eventTypes)
        }
        return types
    }
}
