/// The savepoint layer of the per-event chain, inside park: in a savepoint batch (the redo
/// of an optimistic batch, or a release of parked events) the rest of the chain runs in the
/// event's own savepoint, with its own outbox buffer (inserted before the savepoint is
/// released) and its own after-commit actions (kept only if the savepoint held). So a
/// failing event takes nothing of its neighbours' with it. An event that failed in the
/// optimistic attempt is not called again: its failure stands (the known failure is
/// thrown). In an optimistic batch the layer only calls `next`.
struct SavepointLayer: ConsumerMiddleware {
    func handle(_ event: ConsumedEvent, context: HandlerContext, next: EventHandler) async throws {
        guard let call = context.call, call.savepoint else { return try await next(event, context) }
        if !call.releasing, let known = call.batch?.knownFailures[call.planned.event.envelope.id] { throw known }
        let actions = AfterCommitActions()
        try await context.connection.withSavepoint { savepoint in
            let own = OutboxBuffer()
            try await AfterCommitActions.$current.withValue(actions) {
                try await next(event, context.inSavepoint(savepoint, buffer: own))
            }
            if let writer = context.writer { try await writer.insert(own.drain(), on: savepoint) }
        }
        // The handler's after-commit actions join the transaction's once its savepoint held.
        AfterCommitActions.current?.absorb(actions)
    }
}
