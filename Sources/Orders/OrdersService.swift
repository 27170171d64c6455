import Consumers
import Contracts
import Foundation
import Outbox
import Services

/// The Orders service: accepts `order.place.v1` commands (announcing `order.placed.v2`),
/// keeps its own view of registered customers, and confirms or cancels each order from
/// the payment and stock outcomes (`order.confirmed.v1` / `order.cancelled.v1`).
public enum OrdersService {
    public static let placeV1 = EventType(name: "order.place", version: 1)
    public static let placedV2 = EventType(name: "order.placed", version: 2)
    public static let confirmedV1 = EventType(name: "order.confirmed", version: 1)
    public static let cancelledV1 = EventType(name: "order.cancelled", version: 1)
    static let customerRegisteredV1 = EventType(name: "customer.registered", version: 1)
    static let paymentCapturedV1 = EventType(name: "payment.captured", version: 1)
    static let paymentFailedV1 = EventType(name: "payment.failed", version: 1)
    static let stockReservationFailedV1 = EventType(name: "stock.reservation-failed", version: 1)

    public static var description: ServiceDescription {
        ServiceDescription(
            name: "orders", migrations: OrderStore.migrations,
            handlers: [
                placeV1: place,
                customerRegisteredV1: { event, context in
                    let customer = try event.decode(CustomerRegisteredView.self)
                    try await context.write(
                        OrderStore.rememberCustomer(customer.customerId, registeredAt: event.envelope.time))
                },
                paymentCapturedV1: outcome { .paymentCaptured(paymentID: try require($0.paymentId)) },
                paymentFailedV1: outcome { .paymentFailed(reason: try require($0.reason)) },
                stockReservationFailedV1: outcome { .stockReservationFailed(reason: try require($0.reason)) },
            ])
    }

    static let place: EventHandler = { event, context in
        let command = try event.decode(PlaceOrder.self)
        let lines = command.items.map {
            OrderLine(sku: $0.sku, quantity: $0.quantity, unitPriceMinor: MinorUnits.fromMajor($0.unitPrice))
        }
        let facts = try await OrderStore.placementFacts(
            customer: command.customerId, order: command.orderId, on: context.connection)
        let decision = OrderPlacement.decide(
            id: command.orderId, customerID: command.customerId, lines: lines,
            customerKnown: facts.customerKnown, orderExists: facts.orderExists)
        switch decision {
        case .duplicate:
            return
        case .accept(let order):
            try await context.write(try OrderStore.insert(order, requestedAt: event.envelope.time))
            context.afterCommit { OrderMetrics.placed() }
            let id = UUIDText.lowercased(order.id)
            try await context.emit(
                OutboxEvent(
                    type: placedV2, key: id,
                    encoding: OrderPlacedV2(
                        orderId: id, customerId: UUIDText.lowercased(order.customerID),
                        items: order.lines.map {
                            .init(sku: $0.sku, quantity: $0.quantity, unitPriceMinor: $0.unitPriceMinor)
                        },
                        totalMinor: order.totalMinor, currency: "EUR", shippingAddress: nil, placedAt: Date())))
        case .reject(let order):
            try await context.write(try OrderStore.insert(order, requestedAt: event.envelope.time))
            try await emitCancelled(order.id, customer: order.customerID, reason: order.cancelReason ?? "", context)
            let requestedAt = event.envelope.time
            context.afterCommit {
                OrderMetrics.cancelled(reason: order.cancelReason ?? "")
                OrderMetrics.completed(outcome: "cancelled", requestedAt: requestedAt)
            }
        }
    }

    /// A handler that applies the outcome an event reports to its order.
    static func outcome(_ read: @escaping @Sendable (OrderOutcomeReport) throws -> OrderOutcome) -> EventHandler {
        { event, context in
            let report = try event.decode(OrderOutcomeReport.self)
            let outcome = try read(report)
            guard
                let (status, customer, requestedAt) = try await OrderStore.lock(
                    order: report.orderId, on: context.connection)
            else { return }
            switch OrderLifecycle.apply(outcome, to: status) {
            case .ignore:
                return
            case .confirm(let paymentID):
                try await context.write(OrderStore.confirm(order: report.orderId, paymentID: paymentID))
                let id = UUIDText.lowercased(report.orderId)
                try await context.emit(
                    OutboxEvent(
                        type: confirmedV1, key: id,
                        encoding: OrderConfirmed(
                            orderId: id, customerId: UUIDText.lowercased(customer),
                            paymentId: UUIDText.lowercased(paymentID), confirmedAt: Date())))
                context.afterCommit {
                    OrderMetrics.confirmed()
                    OrderMetrics.completed(outcome: "confirmed", requestedAt: requestedAt)
                }
            case .cancel(let reason):
                try await context.write(OrderStore.cancel(order: report.orderId, reason: reason))
                try await emitCancelled(report.orderId, customer: customer, reason: reason, context)
                context.afterCommit {
                    OrderMetrics.cancelled(reason: reason)
                    OrderMetrics.completed(outcome: "cancelled", requestedAt: requestedAt)
                }
            }
        }
    }

    static func emitCancelled(_ order: UUID, customer: UUID, reason: String, _ context: HandlerContext) async throws {
        let id = UUIDText.lowercased(order)
        try await context.emit(
            OutboxEvent(
                type: cancelledV1, key: id,
                encoding: OrderCancelled(
                    orderId: id, customerId: UUIDText.lowercased(customer), reason: reason, cancelledAt: Date())))
    }

    static func require<T>(_ value: T?) throws -> T {
        guard let value else { throw PermanentFailure("the event lacks a field its contract requires") }
        return value
    }
}
