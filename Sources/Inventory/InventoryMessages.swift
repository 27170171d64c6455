import Foundation

/// The fields Inventory reads from `order.placed.v2` (v1 arrives upcast).
struct OrderPlaced: Decodable, Sendable {
    struct Line: Decodable, Sendable {
        var sku: String
        var quantity: Int
    }
    var orderId: UUID
    var customerId: UUID
    var items: [Line]
    var totalMinor: Int64
}

/// The fields Inventory reads from `payment.captured.v1` and `payment.failed.v1`.
struct PaymentOutcome: Decodable, Sendable {
    var orderId: UUID
}

/// `stock.reserved.v1` data.
struct StockReserved: Encodable, Sendable {
    var orderId: String
    var customerId: String
    var reservationId: String
    var items: [StockLine]
    /// Euros.
    var amount: Double
    var reservedAt: Date
}

/// `stock.reservation-failed.v1` data.
struct StockReservationFailed: Encodable, Sendable {
    var orderId: String
    var customerId: String
    var reason: String
    var skus: [String]
    var failedAt: Date
}

/// `stock.released.v1` data.
struct StockReleased: Encodable, Sendable {
    var orderId: String
    var reservationId: String
    var items: [StockLine]
    var releasedAt: Date
}
