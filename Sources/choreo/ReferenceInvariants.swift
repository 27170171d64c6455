import Foundation
import Inventory
import Logging
import Notifications
import Orders
import Payments
import Postgres
import Services

/// The invariants of the reference system, checked against the service databases. Each
/// reads only; none writes.
struct ReferenceInvariants {
    let orders: PostgresConnection
    let inventory: PostgresConnection
    let payments: PostgresConnection
    let notifications: PostgresConnection
    /// Order-based checks look at orders requested since then (stock and credit are whole).
    var since = Date(timeIntervalSince1970: 0)

    /// Runs `body` with connections (as `choreo-verify`) to the four service databases the
    /// invariants read, and closes them afterwards, whether `body` returns or throws.
    static func withConnections<T: Sendable>(
        logger: Logger, _ body: (ReferenceInvariants) async throws -> T
    ) async throws -> T {
        var connections: [PostgresConnection] = []
        do {
            for service in ["orders", "inventory", "payments", "notifications"] {
                var configuration = try ServiceDatabase.configuration(service: service)
                configuration.applicationName = "choreo-verify"
                connections.append(try await PostgresConnection.connect(configuration: configuration, logger: logger))
            }
            let result = try await body(
                ReferenceInvariants(
                    orders: connections[0], inventory: connections[1], payments: connections[2],
                    notifications: connections[3]))
            for connection in connections { await connection.close() }
            return result
        } catch {
            for connection in connections { await connection.close() }
            throw error
        }
    }

    func check() async throws -> [InvariantResult] {
        let ended = try await OrderFacts.ended(since: since, on: orders)
        return [
            try await everyOrderEnded(),
            try await stockBalances(),
            try await oneCapturePerConfirmedOrder(ended),
            try await oneNotificationPerOrderAndKind(ended),
            try await effectsAppliedOnce(),
        ]
    }

    func everyOrderEnded() async throws -> InvariantResult {
        let counts = try await OrderFacts.counts(since: since, on: orders)
        return InvariantResult(
            name: "every-order-ended", checked: counts.total, violations: counts.placed,
            detail:
                "\(counts.confirmed) confirmed, \(counts.cancelled) cancelled (\(counts.rejected) at once), \(counts.placed) still placed"
        )
    }

    func stockBalances() async throws -> InvariantResult {
        let skus = try await StockFacts.skus(on: inventory)
        let bad = skus.filter { !$0.level.isBalanced }.map(\.level.sku)
        return InvariantResult(
            name: "stock-balances", checked: skus.count, violations: bad.count,
            detail: "per SKU initial = available + reserved + sold" + examples(bad))
    }

    func oneCapturePerConfirmedOrder(_ ended: [OrderFacts.Ended]) async throws -> InvariantResult {
        let captures = try await PaymentFacts.captures(on: payments)
        var bad: [String] = []
        for order in ended {
            let captured = captures[order.orderID] ?? []
            let fine = order.confirmed ? captured.count == 1 && captured.first == order.paymentID : captured.isEmpty
            if !fine { bad.append(order.orderID.uuidString.lowercased()) }
        }
        return InvariantResult(
            name: "one-capture-per-confirmed-order", checked: ended.count, violations: bad.count,
            detail: "confirmed orders have exactly their one capture; cancelled ones none" + examples(bad))
    }

    func oneNotificationPerOrderAndKind(_ ended: [OrderFacts.Ended]) async throws -> InvariantResult {
        let kinds = try await NotificationFacts.kinds(on: notifications)
        var bad: [String] = []
        for order in ended {
            let expected: NotificationKind = order.confirmed ? .orderConfirmed : .orderCancelled
            if kinds[order.orderID] != [expected] { bad.append(order.orderID.uuidString.lowercased()) }
        }
        return InvariantResult(
            name: "one-notification-per-order-and-kind", checked: ended.count, violations: bad.count,
            detail: "each ended order has exactly one notification, of its outcome's kind" + examples(bad))
    }

    func effectsAppliedOnce() async throws -> InvariantResult {
        let skus = try await StockFacts.skus(on: inventory)
        let badSKUs = skus.filter {
            $0.level.reserved != $0.heldByReservations || $0.level.sold != $0.soldByReservations
        }.map(\.level.sku)
        let accounts = try await PaymentFacts.unbalancedAccounts(on: payments)
        return InvariantResult(
            name: "effects-applied-once", checked: skus.count + accounts.accounts,
            violations: badSKUs.count + accounts.unbalanced,
            detail:
                "reserved and sold stock equal their reservation records; used credit equals captured payments (\(accounts.unbalanced) accounts off)"
                + examples(badSKUs))
    }

    private func examples(_ items: [String]) -> String {
        items.isEmpty ? "" : "; e.g. " + items.prefix(3).joined(separator: ", ")
    }
}
