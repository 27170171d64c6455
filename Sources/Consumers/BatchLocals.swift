import Postgres
import Synchronization

/// The ``BatchLocal`` instances of one optimistic attempt, by type, in the order they were
/// loaded. Set as a task local for the attempt's handlers; the batch transaction flushes
/// them after the last one.
final class BatchLocals: Sendable {
    /// The store of the optimistic attempt running in this task, if any.
    @TaskLocal static var current: BatchLocals?

    /// The batch's events: what `load` sees.
    let events: [ConsumedEvent]
    private let loaded = Mutex<[(type: ObjectIdentifier, local: any BatchLocal)]>([])

    init(events: [ConsumedEvent]) { self.events = events }

    /// The attempt's instance of `type`, loaded on first use. Handlers of a batch run one
    /// after another, so two loads of one type never race.
    func instance<T: BatchLocal>(_ type: T.Type, on connection: PostgresConnection) async throws -> T {
        let id = ObjectIdentifier(type)
        if let existing = loaded.withLock({ $0.first { $0.type == id }?.local }) {
            // Stored under its own type's identifier.
            if let local = existing as? T { return local }
        }
        let local = try await T.load(for: events, on: connection)
        loaded.withLock { $0.append((id, local)) }
        return local
    }

    /// Flushes every instance, in load order.
    /// - Throws: ``BatchLocalFlushFailed`` for a statement error (the batch is redone with
    ///   savepoints); retriable errors (a lost connection) as they are.
    func flush(on connection: PostgresConnection) async throws {
        for entry in loaded.withLock({ $0 }) {
            do {
                try await entry.local.flush(on: connection)
            } catch let error as PostgresError where error.isRetriable {
                throw error
            } catch {
                throw BatchLocalFlushFailed(type: "\(Swift.type(of: entry.local))", underlying: error)
            }
        }
    }
}

/// A ``BatchLocal``'s flush failed: the optimistic attempt is rolled back and the batch
/// redone with a savepoint per event, without batch locals.
struct BatchLocalFlushFailed: Error, CustomStringConvertible {
    var type: String
    var underlying: any Error
    var description: String { "flushing the batch local \(type) failed: \(underlying)" }
}
