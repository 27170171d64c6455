import Consumers
import Contracts
import Postgres

/// One service, described once: its name, its database migrations, the handler of each
/// event type it can handle, and the upcasters its handlers rely on. The host runs it; the
/// CLI composes a list of these and never switches on names.
///
/// Which of its handlers run, in which consumer groups, is decided by `consumers/*.yaml`:
/// every group whose `service:` is `name` gets the handlers of the types it `handles`.
public struct ServiceDescription: Sendable {
    /// The service name, as in `service:` of `consumers/*.yaml` (`orders`, `event-log`).
    public var name: String
    /// The service's own tables; installed after the consumer and outbox schemas.
    public var migrations: [Migration]
    /// The handler per event type (name and the version it wants).
    public var handlers: [EventType: EventHandler]
    /// A handler for whatever type a group lists that `handlers` does not name (the event
    /// log records every event); `nil`: such a type is a configuration error.
    public var fallbackHandler: EventHandler?
    /// `vN → vN+1` transforms for events older than the version a handler wants.
    public var upcasters: Upcasters
    /// `ce_source` of the events it emits (default `/services/<name>`).
    public var source: String

    public init(
        name: String,
        migrations: [Migration],
        handlers: [EventType: EventHandler] = [:],
        fallbackHandler: EventHandler? = nil,
        upcasters: Upcasters = Upcasters(),
        source: String? = nil
    ) {
        self.name = name
        self.migrations = migrations
        self.handlers = handlers
        self.fallbackHandler = fallbackHandler
        self.upcasters = upcasters
        self.source = source ?? "/services/\(name)"
    }

    /// The handlers for the types `spec` lists.
    /// - Throws: `ServiceError.configuration` when `spec` belongs to another service, lists a
    ///   type that is not `name.vN`, or lists a type this service has no handler for.
    public func handlers(for spec: ConsumerGroupSpec) throws -> EventHandlers {
        guard spec.service == name else {
            throw ServiceError(
                code: .configuration,
                message: "\(spec.file): group \(spec.group) belongs to \(spec.service), not \(name)")
        }
        var result = EventHandlers()
        for text in spec.handles {
            guard let type = EventType(parsing: text) else {
                throw ServiceError(
                    code: .configuration, message: "\(spec.file): handles: '\(text)' is not a type like order.placed.v1"
                )
            }
            guard let handler = handlers[type] ?? fallbackHandler else {
                let known = handlers.keys.map(\.description).sorted().joined(separator: ", ")
                throw ServiceError(
                    code: .configuration,
                    message: "\(spec.file): service \(name) has no handler for \(type) (it handles: \(known))")
            }
            result.on(type, handler)
        }
        return result
    }
}
