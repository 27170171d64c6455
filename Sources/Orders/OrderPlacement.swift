import Foundation

/// Accepting an `order.place` command. The order id is the idempotency key; an order of a
/// customer Orders has not seen registered is cancelled at once (`unknown-customer`)
/// instead of being announced.
public enum OrderPlacement {
    public enum Decision: Sendable, Equatable {
        /// Store as placed and announce `order.placed`.
        case accept(Order)
        /// Store as cancelled and announce `order.cancelled` with this order's reason.
        case reject(Order)
        /// The id is taken: nothing to do.
        case duplicate
    }

    public static func decide(
        id: UUID, customerID: UUID, lines: [OrderLine], customerKnown: Bool, orderExists: Bool
    ) -> Decision {
        if orderExists { return .duplicate }
        guard customerKnown else {
            return .reject(
                Order(
                    id: id, customerID: customerID, lines: lines, status: .cancelled, cancelReason: "unknown-customer"))
        }
        return .accept(Order(id: id, customerID: customerID, lines: lines, status: .placed))
    }
}
