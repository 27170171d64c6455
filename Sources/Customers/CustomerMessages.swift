import Foundation

/// `customer.register.v1` data.
struct RegisterCustomer: Decodable, Sendable {
    var customerId: UUID
    var name: String
    var email: String
    /// Euros.
    var creditLimit: Double
}

/// `customer.registered.v1` data.
struct CustomerRegistered: Encodable, Sendable {
    var customerId: String
    var name: String
    var email: String
    var creditLimit: Double
    var registeredAt: Date
}
