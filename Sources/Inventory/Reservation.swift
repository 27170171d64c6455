/// The reservation rules: all lines of an order are reserved, or none.
public enum Reservation {
    public enum Failure: String, Sendable, Equatable {
        case unknownSKU = "unknown-sku"
        case insufficientStock = "insufficient-stock"
    }

    public enum Result: Sendable, Equatable {
        /// Every line fits: the new levels of the SKUs touched.
        case reserved([StockLevel])
        /// Nothing is reserved: why, and the SKUs at fault (sorted).
        case failed(Failure, skus: [String])
    }

    /// Lines of the same SKU added together, sorted by SKU (the order rows are locked in).
    public static func merge(_ lines: [StockLine]) -> [StockLine] {
        var quantities: [String: Int] = [:]
        for line in lines { quantities[line.sku, default: 0] += line.quantity }
        return quantities.keys.sorted().map { StockLine(sku: $0, quantity: quantities[$0] ?? 0) }
    }

    /// Reserves every line from `stock`. Unknown SKUs fail first, then short ones.
    public static func reserve(_ lines: [StockLine], stock: [String: StockLevel]) -> Result {
        let merged = merge(lines)
        let unknown = merged.filter { stock[$0.sku] == nil }.map(\.sku)
        if !unknown.isEmpty { return .failed(.unknownSKU, skus: unknown) }
        var levels: [StockLevel] = []
        var short: [String] = []
        for line in merged {
            guard var level = stock[line.sku] else { continue }
            if level.available < line.quantity {
                short.append(line.sku)
                continue
            }
            level.available -= line.quantity
            level.reserved += line.quantity
            levels.append(level)
        }
        return short.isEmpty ? .reserved(levels) : .failed(.insufficientStock, skus: short)
    }

    /// Gives reserved units back (the payment failed): reserved → available.
    public static func release(_ lines: [StockLine], stock: [String: StockLevel]) -> [StockLevel] {
        move(lines, stock: stock) { level, quantity in
            level.reserved -= quantity
            level.available += quantity
        }
    }

    /// Reserved units were paid for: reserved → sold.
    public static func sell(_ lines: [StockLine], stock: [String: StockLevel]) -> [StockLevel] {
        move(lines, stock: stock) { level, quantity in
            level.reserved -= quantity
            level.sold += quantity
        }
    }

    private static func move(
        _ lines: [StockLine], stock: [String: StockLevel], _ change: (inout StockLevel, Int) -> Void
    ) -> [StockLevel] {
        merge(lines).compactMap { line in
            guard var level = stock[line.sku] else { return nil }
            change(&level, line.quantity)
            return level
        }
    }
}
