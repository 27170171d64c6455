/// The parking layer of the per-event chain (order-preserving mode), inside dedupe:
/// - an event whose key is blocked by another event is parked (``ParkingLot``) instead of
///   calling `next`;
/// - an event that fails in a savepoint batch (its savepoint already rolled back) blocks
///   its key; in an optimistic batch a failure aborts the attempt, so nothing is blocked;
/// - an event that blocked its key and now succeeds releases the key's parked events, in
///   order, in the same transaction (``BatchTransaction/release(key:blocker:savepoint:buffer:on:)``).
///
/// The blocked keys come from the batch's single read (``BatchState``). The layer's own
/// statements fail as the batch's statements, not as the event's (``BatchStatementFailure``).
struct ParkLayer: ConsumerMiddleware {
    let parking: ParkingLot

    func handle(_ event: ConsumedEvent, context: HandlerContext, next: EventHandler) async throws {
        guard let call = context.call, let batch = call.batch, !call.releasing, let key = call.planned.event.key
        else { return try await next(event, context) }
        let id = call.planned.event.envelope.id
        let tx = context.connection
        if let blocker = batch.blocker(of: key), blocker != id {
            try await BatchStatementFailure.wrapping { try await parking.park(call.planned, on: tx) }
            batch.count { $0.parked += 1 }
            return
        }
        do {
            try await next(event, context)
        } catch {
            if call.savepoint, !isTransient(error) {
                try await BatchStatementFailure.wrapping { try await parking.block(key: key, by: id, on: tx) }
                batch.setBlocker(of: key, to: id)
            }
            throw error
        }
        guard batch.blocker(of: key) == id else { return }
        // The blocker succeeded: release the key's parked events, in order.
        let released = try await BatchStatementFailure.wrapping {
            try await batch.transaction.release(
                key: key, blocker: id, savepoint: call.savepoint, buffer: batch.buffer, on: tx)
        }
        let failed = released.failure?.planned.event.envelope.id
        batch.count { counts in
            counts.releasedHandled += released.handled
            if let failed { counts.releasedFailures.append(failed) }
        }
        batch.setBlocker(of: key, to: failed)
    }
}
