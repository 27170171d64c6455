import Consumers
import Contracts
import Postgres

/// The services whose handlers this build of `choreo` can run for `choreo consumer run`.
enum ServiceHandlers {
    struct Service {
        var handlers: EventHandlers
        var migrations: [Migration]
    }

    /// Built-in services: `event-log` records every handled event in `event_log`.
    static let known = ["event-log"]

    static func make(for spec: ConsumerGroupSpec) throws -> Service {
        let types = try spec.handles.map { text -> EventType in
            guard let type = EventType(parsing: text) else {
                throw ConsumerError(code: .specification, message: "\(spec.file): handles: '\(text)' is not a type like order.placed.v1")
            }
            return type
        }
        switch spec.service {
        case "event-log":
            var handlers = EventHandlers()
            for type in types { handlers.on(type, EventLog.handler) }
            return Service(handlers: handlers, migrations: EventLog.migrations)
        default:
            throw ConsumerError(
                code: .configuration,
                message: "\(spec.file): service '\(spec.service)' has no handlers in this build of choreo (known: \(known.joined(separator: ", ")))")
        }
    }
}
