import Contracts
import Foundation

/// The seed data and orders of a `choreo dev up` run: customers (some with little credit),
/// SKUs (one of them scarce) and random orders over them, so that some orders fail for
/// stock and some for credit. Pure: builds command data, sends nothing.
struct DevTraffic: Sendable {
    struct Customer: Sendable {
        var id: UUID
        var creditLimit: Double
    }

    struct SKU: Sendable {
        var name: String
        var price: Double
        var stock: Int
    }

    /// Plenty of everything except `SKU-RARE-1`.
    static let skus = [
        SKU(name: "SKU-RED-42", price: 19.99, stock: 1_000_000),
        SKU(name: "SKU-BLUE-7", price: 5.00, stock: 1_000_000),
        SKU(name: "SKU-GREEN-3", price: 12.50, stock: 1_000_000),
        SKU(name: "SKU-RARE-1", price: 49.00, stock: 5),
    ]

    let customers: [Customer]

    /// `count` customers; every fourth has 60.00 of credit, the rest plenty.
    init(customers count: Int) {
        customers = (0..<count).map { Customer(id: UUID(), creditLimit: $0 % 4 == 3 ? 60 : 1_000_000) }
    }

    func registration(_ customer: Customer, index: Int) -> [UInt8] {
        let id = UUIDText.lowercased(customer.id)
        return Array(
            """
            {"customerId":"\(id)","name":"Customer \(index)","email":"customer\(index)@example.com","creditLimit":\(customer.creditLimit)}
            """.utf8)
    }

    /// A random order: one or two lines of the plentiful SKUs, and one in ten also asks for
    /// the scarce one.
    func order<R: RandomNumberGenerator>(id: UUID, using generator: inout R) -> (customer: UUID, data: [UInt8]) {
        let customer = customers[Int.random(in: 0..<customers.count, using: &generator)]
        var lines: [(SKU, Int)] = []
        let plentiful = Self.skus.dropLast().shuffled(using: &generator)
        for sku in plentiful.prefix(Int.random(in: 1...2, using: &generator)) {
            lines.append((sku, Int.random(in: 1...3, using: &generator)))
        }
        if Int.random(in: 0..<10, using: &generator) == 0, let rare = Self.skus.last {
            lines.append((rare, Int.random(in: 1...3, using: &generator)))
        }
        let items = lines.map { "{\"sku\":\"\($0.0.name)\",\"quantity\":\($0.1),\"unitPrice\":\($0.0.price)}" }
        let text =
            "{\"orderId\":\"\(UUIDText.lowercased(id))\",\"customerId\":\"\(UUIDText.lowercased(customer.id))\",\"items\":[\(items.joined(separator: ","))]}"
        return (customer.id, Array(text.utf8))
    }
}
