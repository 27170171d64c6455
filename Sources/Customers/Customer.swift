import Foundation

/// A registered customer: the Customers service's aggregate.
public struct Customer: Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var email: String
    /// Credit limit in cents.
    public var creditLimitMinor: Int64
    public var registeredAt: Date

    public init(id: UUID, name: String, email: String, creditLimitMinor: Int64, registeredAt: Date) {
        self.id = id
        self.name = name
        self.email = email
        self.creditLimitMinor = creditLimitMinor
        self.registeredAt = registeredAt
    }
}
