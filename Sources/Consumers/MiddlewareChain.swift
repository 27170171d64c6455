/// Layers composed around a handler, the first outermost.
struct MiddlewareChain: Sendable {
    let layers: [any ConsumerMiddleware]

    /// `handler` wrapped in every layer: calling the result runs the first layer, whose
    /// `next` runs the second, and so on down to `handler`.
    func wrap(_ handler: @escaping EventHandler) -> EventHandler {
        layers.reversed().reduce(handler) { next, layer in
            { event, context in try await layer.handle(event, context: context, next: next) }
        }
    }

    /// Every handler of `handlers` wrapped (the chain is built once per handled type).
    func wrap(_ handlers: EventHandlers) -> EventHandlers {
        var wrapped = handlers
        for (name, entry) in handlers.entries {
            wrapped.entries[name] = EventHandlers.Entry(version: entry.version, handler: wrap(entry.handler))
        }
        return wrapped
    }
}
