import Foundation

/// One line of an order, prices in cents.
public struct OrderLine: Sendable, Equatable, Codable {
    public var sku: String
    public var quantity: Int
    public var unitPriceMinor: Int64

    public init(sku: String, quantity: Int, unitPriceMinor: Int64) {
        self.sku = sku
        self.quantity = quantity
        self.unitPriceMinor = unitPriceMinor
    }
}

/// Where an order is in its life.
public enum OrderStatus: String, Sendable, Equatable {
    /// Accepted and announced; waits for stock and payment.
    case placed
    /// Paid: the terminal success.
    case confirmed
    /// Stock or payment failed, or the customer is unknown: the terminal failure.
    case cancelled
}

/// The Orders service's aggregate.
public struct Order: Sendable, Equatable {
    public var id: UUID
    public var customerID: UUID
    public var lines: [OrderLine]
    public var status: OrderStatus
    public var cancelReason: String?
    public var paymentID: UUID?

    public init(
        id: UUID, customerID: UUID, lines: [OrderLine], status: OrderStatus, cancelReason: String? = nil,
        paymentID: UUID? = nil
    ) {
        self.id = id
        self.customerID = customerID
        self.lines = lines
        self.status = status
        self.cancelReason = cancelReason
        self.paymentID = paymentID
    }

    /// Sum of quantity × unit price, in cents.
    public var totalMinor: Int64 { lines.reduce(0) { $0 + Int64($1.quantity) * $1.unitPriceMinor } }
}
