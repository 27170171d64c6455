import Outbox
import Synchronization

/// Events emitted by handlers of one batch (or one savepoint), inserted into the outbox a
/// chunk per statement: a few round trips instead of one per event.
final class OutboxBuffer: Sendable {
    private let records = Mutex<[OutboxRecord]>([])

    func append(_ record: OutboxRecord) { records.withLock { $0.append(record) } }

    var count: Int { records.withLock { $0.count } }

    /// Takes everything buffered so far, in emit order.
    func drain() -> [OutboxRecord] {
        records.withLock { records in
            defer { records = [] }
            return records
        }
    }
}
