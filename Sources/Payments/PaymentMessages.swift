import Foundation

/// The fields Payments reads from `customer.registered.v1`.
struct CustomerRegistered: Decodable, Sendable {
    var customerId: UUID
    /// Euros.
    var creditLimit: Double
}

/// The fields Payments reads from `stock.reserved.v1`.
struct StockReserved: Decodable, Sendable {
    var orderId: UUID
    var customerId: UUID
    /// Euros.
    var amount: Double
}

/// `payment.captured.v1` data.
struct PaymentCaptured: Encodable, Sendable {
    var orderId: String
    var customerId: String
    var paymentId: String
    var amount: Double
    var capturedAt: Date
}

/// `payment.failed.v1` data.
struct PaymentFailed: Encodable, Sendable {
    var orderId: String
    var customerId: String
    var amount: Double
    var reason: String
    var failedAt: Date
}
