import Foundation
import Postgres
import Testing

@testable import Payments

/// The payments tables against a scratch database.
@Suite struct PaymentStoreTests {
    @Test func aCaptureChargesTheAccountAndRecordsTheDecisionInOneStatement() async throws {
        try await withMigratedDatabase(PaymentStore.migrations) { connection in
            let (customer, order) = (UUID(), UUID())
            try await connection.execute(
                PaymentStore.openAccount(CreditAccount(customerID: customer, limitMinor: 10_000)))
            var locked = try await PaymentStore.lockAccount(customer, deciding: order, on: connection)
            #expect(locked.account == CreditAccount(customerID: customer, limitMinor: 10_000) && !locked.decided)
            guard case .capture(let charged) = Credit.charge(2_500, account: locked.account) else {
                Issue.record("2,500 fits in 10,000")
                return
            }
            try await connection.execute(
                PaymentStore.decide(
                    order: order, payment: UUID(), customer: customer, amountMinor: 2_500, charged: charged,
                    reason: nil))
            locked = try await PaymentStore.lockAccount(customer, deciding: order, on: connection)
            #expect(locked.account?.usedMinor == 2_500 && locked.decided)
            #expect(try await PaymentFacts.captures(on: connection)[order]?.count == 1)
        }
    }

    @Test func aFailureUsesNoCreditAndAnUnknownCustomersDecisionIsStillSeen() async throws {
        try await withMigratedDatabase(PaymentStore.migrations) { connection in
            let (customer, order, stranger, strangersOrder) = (UUID(), UUID(), UUID(), UUID())
            try await connection.execute(PaymentStore.openAccount(CreditAccount(customerID: customer, limitMinor: 100)))
            try await connection.execute(
                PaymentStore.decide(
                    order: order, payment: UUID(), customer: customer, amountMinor: 500, charged: nil,
                    reason: "insufficient-credit"))
            let locked = try await PaymentStore.lockAccount(customer, deciding: order, on: connection)
            #expect(locked.account?.usedMinor == 0 && locked.decided)
            #expect(try await PaymentFacts.unbalancedAccounts(on: connection) == (0, 1))

            var unknown = try await PaymentStore.lockAccount(stranger, deciding: strangersOrder, on: connection)
            #expect(unknown.account == nil && !unknown.decided)
            try await connection.execute(
                PaymentStore.decide(
                    order: strangersOrder, payment: UUID(), customer: stranger, amountMinor: 500, charged: nil,
                    reason: "unknown-customer"))
            unknown = try await PaymentStore.lockAccount(stranger, deciding: strangersOrder, on: connection)
            #expect(unknown.account == nil && unknown.decided)
        }
    }
}
