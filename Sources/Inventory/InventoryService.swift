import Consumers
import Contracts
import Foundation
import Outbox
import Postgres
import Services

/// The Inventory service: reserves stock for placed orders (`stock.reserved.v1` or
/// `stock.reservation-failed.v1`), releases it when the payment fails (`stock.released.v1`)
/// and counts it sold when the payment is captured.
public enum InventoryService {
    public static let orderPlacedV2 = EventType(name: "order.placed", version: 2)
    static let paymentFailedV1 = EventType(name: "payment.failed", version: 1)
    static let paymentCapturedV1 = EventType(name: "payment.captured", version: 1)
    static let reservedV1 = EventType(name: "stock.reserved", version: 1)
    static let reservationFailedV1 = EventType(name: "stock.reservation-failed", version: 1)
    static let releasedV1 = EventType(name: "stock.released", version: 1)

    public static var description: ServiceDescription {
        ServiceDescription(
            name: "inventory", migrations: InventoryStore.migrations,
            handlers: [orderPlacedV2: reserve, paymentFailedV1: release, paymentCapturedV1: sell],
            upcasters: ContractUpcasters.all)
    }

    /// Adds stock (seeding, restocking) in its own transaction on `connection`.
    public static func addStock(sku: String, quantity: Int, on connection: PostgresConnection) async throws {
        try await connection.execute(InventoryStore.addStock(sku: sku, quantity: quantity))
    }

    static let reserve: EventHandler = { event, context in
        let order = try event.decode(OrderPlaced.self)
        let lines = order.items.map { StockLine(sku: $0.sku, quantity: $0.quantity) }
        let merged = Reservation.merge(lines)
        let skus = merged.map(\.sku)
        let batch = try await context.batchLocal(InventoryBatch.self)
        let recorded: Bool
        let stock: [String: StockLevel]
        if let batch {
            recorded = try await batch.record(of: order.orderId, on: context.connection) != nil
            stock = recorded ? [:] : try await batch.stock(of: skus, on: context.connection)
        } else {
            (recorded, stock) = try await InventoryStore.lockStockForPlacement(
                order: order.orderId, skus: skus, on: context.connection)
        }
        guard !recorded else { return }
        let reservationID = RandomUUID.make()
        let id = UUIDText.lowercased(order.orderId)
        let customer = UUIDText.lowercased(order.customerId)
        func record(_ status: String) {
            batch?.setRecord(
                InventoryStore.Record(reservationID: reservationID, status: status, lines: merged),
                of: order.orderId)
        }
        switch Reservation.reserve(lines, stock: stock) {
        case .reserved(let levels):
            if let batch {
                batch.update(levels)
            } else {
                try await context.write(InventoryStore.update(levels))
            }
            try await context.write(
                try InventoryStore.insertReservation(
                    order: order.orderId, reservation: reservationID, customer: order.customerId,
                    lines: merged, status: "reserved", reason: nil))
            record("reserved")
            try await context.emit(
                OutboxEvent(
                    type: reservedV1, key: id,
                    encoding: StockReserved(
                        orderId: id, customerId: customer, reservationId: UUIDText.lowercased(reservationID),
                        items: merged, amount: MinorUnits.toMajor(order.totalMinor),
                        reservedAt: Date())))
        case .failed(let failure, let skus):
            try await context.write(
                try InventoryStore.insertReservation(
                    order: order.orderId, reservation: reservationID, customer: order.customerId,
                    lines: merged, status: "failed", reason: failure.rawValue))
            record("failed")
            try await context.emit(
                OutboxEvent(
                    type: reservationFailedV1, key: id,
                    encoding: StockReservationFailed(
                        orderId: id, customerId: customer, reason: failure.rawValue, skus: skus, failedAt: Date())))
        }
    }

    static let release: EventHandler = { event, context in
        let outcome = try event.decode(PaymentOutcome.self)
        guard let record = try await resolve(order: outcome.orderId, as: "released", by: Reservation.release, context)
        else { return }
        let id = UUIDText.lowercased(outcome.orderId)
        try await context.emit(
            OutboxEvent(
                type: releasedV1, key: id,
                encoding: StockReleased(
                    orderId: id, reservationId: UUIDText.lowercased(record.reservationID), items: record.lines,
                    releasedAt: Date())))
    }

    static let sell: EventHandler = { event, context in
        let outcome = try event.decode(PaymentOutcome.self)
        _ = try await resolve(order: outcome.orderId, as: "sold", by: Reservation.sell, context)
    }

    /// Ends the order's reservation: moves its units with `move` and records `status`.
    /// Returns nil (and changes nothing) when the order holds no reservation: never
    /// reserved, or already released or sold.
    private static func resolve(
        order: UUID, as status: String, by move: ([StockLine], [String: StockLevel]) -> [StockLevel],
        _ context: HandlerContext
    ) async throws -> InventoryStore.Record? {
        if let batch = try await context.batchLocal(InventoryBatch.self) {
            guard var record = try await batch.record(of: order, on: context.connection), record.status == "reserved"
            else { return nil }
            let stock = try await batch.stock(of: record.lines.map(\.sku), on: context.connection)
            batch.update(move(record.lines, stock))
            try await context.write(InventoryStore.setStatus(order: order, status))
            record.status = status
            batch.setRecord(record, of: order)
            return record
        }
        guard let (record, stock) = try await InventoryStore.lockReservation(order: order, on: context.connection),
            record.status == "reserved"
        else { return nil }
        let levels = move(record.lines, stock)
        if !levels.isEmpty { try await context.write(InventoryStore.update(levels)) }
        try await context.write(InventoryStore.setStatus(order: order, status))
        return record
    }
}
