import Contracts

/// A handler: plain code that applies one event's effects through the context.
public typealias EventHandler = @Sendable (ConsumedEvent, HandlerContext) async throws -> Void

/// The handlers of one consumer group, one per event type name, each with the major
/// version it handles. Older versions are upcast to it through `upcasters`.
public struct EventHandlers: Sendable {
    struct Entry: Sendable {
        var version: Int
        var handler: EventHandler
    }

    var entries: [String: Entry] = [:]

    public init() {}

    /// Registers `handler` for `type` (name and the version it wants). Replaces an
    /// earlier registration of the same name.
    public mutating func on(_ type: EventType, _ handler: @escaping EventHandler) {
        entries[type.name] = Entry(version: type.version, handler: handler)
    }

    /// The event types handled, with the version each handler wants.
    public var types: [EventType] {
        entries.map { EventType(name: $0.key, version: $0.value.version) }.sorted { $0.description < $1.description }
    }
}
