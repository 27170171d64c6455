import Foundation
import Kafka
import Orders
import Postgres

/// One look at the whole system after the faults: orders, outboxes, consumer lag and the
/// invariants. Settled means nothing is left in flight and every invariant holds.
struct ChaosReading: Sendable {
    var counts = OrderFacts.Counts()
    /// Rows still in the service outboxes.
    var backlog = 0
    /// Messages the groups have not committed, by group (groups with any).
    var lag: [String: Int64] = [:]
    var invariants: [InvariantResult] = []

    /// What is still in flight, in words; empty when nothing is.
    func inFlight(sent: Int) -> String {
        var parts: [String] = []
        if counts.total < sent { parts.append("\(sent - counts.total) sent orders unknown to Orders") }
        if counts.placed > 0 { parts.append("\(counts.placed) orders open") }
        if backlog > 0 { parts.append("\(backlog) events in outboxes") }
        if !lag.isEmpty {
            parts.append(
                "lag " + lag.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }

    func settled(sent: Int) -> Bool {
        counts.placed == 0 && counts.total >= sent && backlog == 0 && lag.isEmpty && invariants.allSatisfy(\.passed)
    }

    /// Reads the system. `connections`: one per service database, by service name.
    static func read(
        since start: Date, connections: [String: PostgresConnection], admin: KafkaAdmin, groups: [String: [String]]
    ) async throws -> ChaosReading {
        var reading = ChaosReading()
        guard let orders = connections["orders"], let inventory = connections["inventory"],
            let payments = connections["payments"], let notifications = connections["notifications"]
        else { return reading }
        reading.counts = try await OrderFacts.counts(since: start, on: orders)
        for connection in connections.values {
            reading.backlog +=
                try await connection.query("SELECT count(*) FROM outbox").first?.decode(Int.self, column: 0) ?? 0
        }
        reading.lag = try await GroupOffsets.read(admin: admin, groups: groups).lagByGroup
        reading.invariants = try await ReferenceInvariants(
            orders: orders, inventory: inventory, payments: payments, notifications: notifications, since: start
        ).check()
        return reading
    }
}
