extension HandlerContext {
    /// The current optimistic batch attempt's instance of `type` (loaded on first use), or
    /// `nil` when this event runs on its own: in its savepoint (a batch redone after a
    /// failure, a release of parked events outside a batch) or called directly. Handlers
    /// fall back to reading and writing per event then. See ``BatchLocal``.
    public func batchLocal<T: BatchLocal>(_ type: T.Type) async throws -> T? {
        guard pipelinesWrites, let locals = BatchLocals.current else { return nil }
        return try await locals.instance(type, on: connection)
    }
}
