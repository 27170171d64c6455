import Foundation

/// `order.place.v1` data (prices in euros).
struct PlaceOrder: Decodable, Sendable {
    struct Line: Decodable, Sendable {
        var sku: String
        var quantity: Int
        var unitPrice: Double
    }
    var orderId: UUID
    var customerId: UUID
    var items: [Line]
}

/// `order.placed.v2` data.
struct OrderPlacedV2: Encodable, Sendable {
    struct Line: Encodable, Sendable {
        var sku: String
        var quantity: Int
        var unitPriceMinor: Int64
    }
    var orderId: String
    var customerId: String
    var items: [Line]
    var totalMinor: Int64
    var currency: String
    /// Always null: `order.place.v1` carries no address.
    var shippingAddress: String?
    var placedAt: Date

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(orderId, forKey: .orderId)
        try container.encode(customerId, forKey: .customerId)
        try container.encode(items, forKey: .items)
        try container.encode(totalMinor, forKey: .totalMinor)
        try container.encode(currency, forKey: .currency)
        try container.encode(shippingAddress, forKey: .shippingAddress)
        try container.encode(placedAt, forKey: .placedAt)
    }

    enum CodingKeys: String, CodingKey {
        case orderId, customerId, items, totalMinor, currency, shippingAddress, placedAt
    }
}

/// `order.confirmed.v1` data.
struct OrderConfirmed: Encodable, Sendable {
    var orderId: String
    var customerId: String
    var paymentId: String
    var confirmedAt: Date
}

/// `order.cancelled.v1` data.
struct OrderCancelled: Encodable, Sendable {
    var orderId: String
    var customerId: String
    var reason: String
    var cancelledAt: Date
}

/// The fields Orders reads from `customer.registered.v1`.
struct CustomerRegisteredView: Decodable, Sendable {
    var customerId: UUID
}

/// The fields Orders reads from `payment.captured.v1`, `payment.failed.v1` and
/// `stock.reservation-failed.v1`.
struct OrderOutcomeReport: Decodable, Sendable {
    var orderId: UUID
    var paymentId: UUID?
    var reason: String?
}
