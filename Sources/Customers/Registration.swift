import Foundation

/// The registration rule: the customer id chosen by the caller is the idempotency key, so
/// a command for an id already registered changes nothing and emits nothing.
public enum Registration {
    public enum Decision: Sendable, Equatable {
        /// Register and announce this customer.
        case register(Customer)
        /// The id is taken: nothing to do.
        case alreadyRegistered
    }

    public static func decide(
        id: UUID, name: String, email: String, creditLimitMinor: Int64, existing: Customer?, now: Date
    ) -> Decision {
        guard existing == nil else { return .alreadyRegistered }
        return .register(
            Customer(id: id, name: name, email: email, creditLimitMinor: creditLimitMinor, registeredAt: now))
    }
}
