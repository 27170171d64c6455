import Foundation

/// A customer's credit as Payments sees it: the limit from `customer.registered` and what
/// captured payments have used.
public struct CreditAccount: Sendable, Equatable {
    public var customerID: UUID
    public var limitMinor: Int64
    public var usedMinor: Int64

    public init(customerID: UUID, limitMinor: Int64, usedMinor: Int64 = 0) {
        self.customerID = customerID
        self.limitMinor = limitMinor
        self.usedMinor = usedMinor
    }

    public var remainingMinor: Int64 { limitMinor - usedMinor }
}

/// The charging rule: a payment is captured when the customer is known and the amount fits
/// in the remaining credit; otherwise it fails, and nothing is used.
public enum Credit {
    public enum Failure: String, Sendable, Equatable {
        case insufficientCredit = "insufficient-credit"
        case unknownCustomer = "unknown-customer"
    }

    public enum Decision: Sendable, Equatable {
        /// Captured: the account after the charge.
        case capture(CreditAccount)
        case fail(Failure)
    }

    public static func charge(_ amountMinor: Int64, account: CreditAccount?) -> Decision {
        guard var account else { return .fail(.unknownCustomer) }
        guard amountMinor <= account.remainingMinor else { return .fail(.insufficientCredit) }
        account.usedMinor += amountMinor
        return .capture(account)
    }
}
