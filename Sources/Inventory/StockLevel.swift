/// The stock of one SKU. `initial` is everything ever added; the rest is where it is now,
/// so `initial == available + reserved + sold` always holds.
public struct StockLevel: Sendable, Equatable {
    public var sku: String
    public var initial: Int
    public var available: Int
    public var reserved: Int
    public var sold: Int

    public init(sku: String, initial: Int, available: Int, reserved: Int = 0, sold: Int = 0) {
        self.sku = sku
        self.initial = initial
        self.available = available
        self.reserved = reserved
        self.sold = sold
    }

    /// Whether the units add up.
    public var isBalanced: Bool { initial == available + reserved + sold && available >= 0 && reserved >= 0 }
}

/// A quantity of one SKU in a reservation.
public struct StockLine: Sendable, Equatable, Codable {
    public var sku: String
    public var quantity: Int

    public init(sku: String, quantity: Int) {
        self.sku = sku
        self.quantity = quantity
    }
}
