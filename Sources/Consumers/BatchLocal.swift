import Postgres

/// State a group's handlers share for one optimistic batch attempt: rows read (and locked)
/// once for the whole batch instead of once per event, changed in memory by each handler,
/// and written once before the batch commits.
///
/// Handlers get the attempt's instance with ``HandlerContext/batchLocal(_:)``. The runtime
/// guarantees:
/// - ``load(for:on:)`` runs at most once per attempt, in the batch transaction, on the first
///   `batchLocal` call, with the batch's events (duplicates and events that will be parked
///   included; decode what you need and skip the rest). Parked events of an earlier batch
///   that an event's success releases are handled in the same attempt but are not among
///   them: what they need may not be loaded.
/// - ``flush(on:)`` runs once, after the attempt's last handler and before its commit, in
///   the same transaction. Write with `connection.pipeline` or `execute`.
/// - An attempt that does not commit (a handler failed, a flush failed) drops the instance
///   with everything else it did; the batch is redone with a savepoint per event, where
///   `batchLocal` returns `nil` and handlers read and write per event. A flush failure is
///   nobody's in particular, so it is handled exactly like a pipelined write's failure.
///
/// So an instance may assume that no one else changes the rows it locked until `flush`,
/// and that handlers of the group reading the same rows go through it: a handler of the
/// group that reads them with its own SQL in the same attempt would see them unflushed.
/// Rows an instance does not hold have no unflushed changes, so reading them from the
/// database on a miss (and keeping them) is always correct.
public protocol BatchLocal: AnyObject, Sendable {
    /// Reads what the attempt's handlers will need, in the batch transaction.
    static func load(for events: [ConsumedEvent], on connection: PostgresConnection) async throws -> Self

    /// Writes what the handlers changed, in the batch transaction, before it commits.
    func flush(on connection: PostgresConnection) async throws
}
