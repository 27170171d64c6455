import Customers
import Foundation
import Inventory
import Notifications
import Orders
import Payments
import Testing

@Suite struct ReservationTests {
    let stock = [
        "SKU-A": StockLevel(sku: "SKU-A", initial: 10, available: 10),
        "SKU-B": StockLevel(sku: "SKU-B", initial: 3, available: 3),
    ]

    @Test func everyLineFitsSoAllAreReservedAndTheUnitsStillAddUp() {
        let result = Reservation.reserve(
            [
                StockLine(sku: "SKU-B", quantity: 1), StockLine(sku: "SKU-A", quantity: 4),
                .init(sku: "SKU-B", quantity: 2),
            ],
            stock: stock)
        guard case .reserved(let levels) = result else {
            Issue.record("expected a reservation, got \(result)")
            return
        }
        #expect(levels.map(\.sku) == ["SKU-A", "SKU-B"])
        #expect(levels.map(\.available) == [6, 0])
        #expect(levels.map(\.reserved) == [4, 3])
        #expect(levels.allSatisfy { $0.isBalanced })
    }

    @Test func oneShortLineReservesNothing() {
        #expect(
            Reservation.reserve([.init(sku: "SKU-A", quantity: 1), .init(sku: "SKU-B", quantity: 4)], stock: stock)
                == .failed(.insufficientStock, skus: ["SKU-B"]))
    }

    @Test func anUnknownSKUFailsBeforeQuantitiesAreLookedAt() {
        #expect(
            Reservation.reserve([.init(sku: "SKU-Z", quantity: 1), .init(sku: "SKU-B", quantity: 99)], stock: stock)
                == .failed(.unknownSKU, skus: ["SKU-Z"]))
    }

    @Test func releaseGivesReservedUnitsBackAndSellCountsThemSold() {
        let held = ["SKU-A": StockLevel(sku: "SKU-A", initial: 10, available: 6, reserved: 4)]
        let released = Reservation.release([.init(sku: "SKU-A", quantity: 4)], stock: held)
        #expect(released == [StockLevel(sku: "SKU-A", initial: 10, available: 10, reserved: 0)])
        let sold = Reservation.sell([.init(sku: "SKU-A", quantity: 4)], stock: held)
        #expect(sold == [StockLevel(sku: "SKU-A", initial: 10, available: 6, reserved: 0, sold: 4)])
        #expect((released + sold).allSatisfy { $0.isBalanced })
    }
}

@Suite struct CreditTests {
    let customer = UUID()

    @Test func aChargeWithinTheRemainingCreditIsCapturedAndUsesIt() {
        let account = CreditAccount(customerID: customer, limitMinor: 10_000, usedMinor: 6_000)
        #expect(
            Credit.charge(4_000, account: account)
                == .capture(CreditAccount(customerID: customer, limitMinor: 10_000, usedMinor: 10_000)))
    }

    @Test func aChargeBeyondTheRemainingCreditFailsAndUsesNothing() {
        let account = CreditAccount(customerID: customer, limitMinor: 10_000, usedMinor: 6_001)
        #expect(Credit.charge(4_000, account: account) == .fail(.insufficientCredit))
    }

    @Test func aCustomerPaymentsHasNotSeenRegisteredFails() {
        #expect(Credit.charge(1, account: nil) == .fail(.unknownCustomer))
    }
}

@Suite struct OrderCompensationTests {
    let payment = UUID()

    @Test func aPlacedOrderIsConfirmedByACaptureAndCancelledByEitherFailure() {
        #expect(OrderLifecycle.apply(.paymentCaptured(paymentID: payment), to: .placed) == .confirm(paymentID: payment))
        #expect(
            OrderLifecycle.apply(.paymentFailed(reason: "insufficient-credit"), to: .placed)
                == .cancel(reason: "insufficient-credit"))
        #expect(
            OrderLifecycle.apply(.stockReservationFailed(reason: "insufficient-stock"), to: .placed)
                == .cancel(reason: "insufficient-stock"))
    }

    @Test func anOrderEndsOnceLateOrRepeatedOutcomesAreIgnored() {
        for status in [OrderStatus.confirmed, .cancelled] {
            #expect(OrderLifecycle.apply(.paymentCaptured(paymentID: payment), to: status) == .ignore)
            #expect(OrderLifecycle.apply(.paymentFailed(reason: "insufficient-credit"), to: status) == .ignore)
        }
    }

    @Test func placementAcceptsKnownCustomersRejectsUnknownOnesAndIgnoresARepeatedId() {
        let lines = [OrderLine(sku: "SKU-A", quantity: 3, unitPriceMinor: 1_999)]
        let (order, customer) = (UUID(), UUID())
        guard
            case .accept(let accepted) = OrderPlacement.decide(
                id: order, customerID: customer, lines: lines, customerKnown: true, orderExists: false)
        else {
            Issue.record("a known customer's order must be accepted")
            return
        }
        #expect(accepted.status == .placed && accepted.totalMinor == 5_997)
        guard
            case .reject(let rejected) = OrderPlacement.decide(
                id: order, customerID: customer, lines: lines, customerKnown: false, orderExists: false)
        else {
            Issue.record("an unknown customer's order must be rejected")
            return
        }
        #expect(rejected.status == .cancelled && rejected.cancelReason == "unknown-customer")
        #expect(
            OrderPlacement.decide(id: order, customerID: customer, lines: lines, customerKnown: true, orderExists: true)
                == .duplicate)
    }
}

@Suite struct NotificationDedupeTests {
    @Test func oneNotificationPerOrderAndKindHoweverOftenItsEventArrives() {
        let (order, customer) = (UUID(), UUID())
        let first = Notifications.cancelled(order: order, customer: customer, reason: "insufficient-stock")
        let again = Notifications.cancelled(order: order, customer: customer, reason: "insufficient-credit")
        let confirmed = Notifications.confirmed(order: order, customer: customer)
        let sent = Notifications.deduplicate([first, again, confirmed], alreadySent: [])
        #expect(sent == [first, confirmed])
        #expect(Notifications.deduplicate([again], alreadySent: [first.key]).isEmpty)
    }

    @Test func aWelcomeIsKeyedByTheCustomer() {
        let customer = UUID()
        let welcome = Notifications.welcome(customer: customer, name: "Ada")
        #expect(welcome.key == Notification.Key(subjectID: customer, kind: .welcome))
    }
}

@Suite struct RegistrationTests {
    @Test func theCustomerIdIsTheIdempotencyKey() {
        let id = UUID()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let decision = Registration.decide(
            id: id, name: "Ada", email: "ada@example.com", creditLimitMinor: 50_000, existing: nil, now: now)
        guard case .register(let customer) = decision else {
            Issue.record("a new id must register")
            return
        }
        #expect(customer.creditLimitMinor == 50_000 && customer.registeredAt == now)
        #expect(
            Registration.decide(
                id: id, name: "Other", email: "o@example.com", creditLimitMinor: 1, existing: customer, now: now)
                == .alreadyRegistered)
    }
}
