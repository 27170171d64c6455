import Contracts
import Foundation
import Outbox
import Postgres

extension BatchTransaction {
    /// What releasing one key's parked events did.
    struct Released: Sendable {
        var handled = 0
        /// The event that failed (now the key's blocker, its publication recorded).
        var failure: HandlerFailure?
        /// Whether the key is still blocked afterwards.
        var stillBlocked = false
    }

    /// Applies `key`'s parked events in order through the group's chain, stopping at the
    /// first failure, which becomes the key's blocker (its publication recorded in the same
    /// transaction). With `blocker`, the caller holds that blocker row (read `FOR SHARE`) and
    /// it is deleted when every parked event succeeds; without, the key is orphaned and
    /// checked to be so under lock.
    func release(
        key: String, blocker: UUID?, savepoint: Bool, buffer: OutboxBuffer?, on tx: PostgresConnection
    ) async throws -> Released {
        guard let parking else { return Released() }
        var released = Released()
        if blocker == nil, try await parking.hasBlocker(key: key, on: tx) {
            released.stillBlocked = true
            return released
        }
        for parked in try await parking.parkedEvents(key: key, on: tx) {
            let message = parked.message
            guard case .handle(let event, let handler) = classifier.classify(message, now: .distantFuture) else {
                logger.error(
                    "a parked event no longer classifies as handleable; it stays parked until its key is released",
                    metadata: EventLogMetadata.of(headers: message.headers).merging([
                        "group": "\(group)", "seq": "\(parked.seq)",
                    ]) { _, new in new })
                try await parking.block(key: key, by: RandomUUID.make(), on: tx)
                released.stillBlocked = true
                return released
            }
            guard try await parking.deleteParked(seq: parked.seq, on: tx) else {
                // Locked above, so only a row that vanished before the lock: another release got it.
                released.stillBlocked = true
                return released
            }
            let planned = PlannedEvent(event: event, handler: handler, message: message)
            let call = EventCall(planned: planned, batch: nil, savepoint: savepoint, releasing: true)
            if let failure = try await handle(call, buffer: buffer, on: tx) {
                try await parking.block(key: key, by: event.envelope.id, on: tx)
                try await parking.recordPublication(failure, on: tx)
                released.failure = failure
                released.stillBlocked = true
                return released
            }
            released.handled += 1
        }
        if let blocker { try await parking.unblock(key: key, blocker: blocker, on: tx) }
        return released
    }
}
