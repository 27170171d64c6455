import Consumers
import Contracts
import Foundation
import Outbox
import Services

/// The Payments service: keeps its own view of customers' credit (from
/// `customer.registered.v1`) and charges it for reserved stock (`payment.captured.v1` or
/// `payment.failed.v1`).
public enum PaymentsService {
    static let customerRegisteredV1 = EventType(name: "customer.registered", version: 1)
    static let stockReservedV1 = EventType(name: "stock.reserved", version: 1)
    static let capturedV1 = EventType(name: "payment.captured", version: 1)
    static let failedV1 = EventType(name: "payment.failed", version: 1)

    public static var description: ServiceDescription {
        ServiceDescription(
            name: "payments", migrations: PaymentStore.migrations,
            handlers: [customerRegisteredV1: openAccount, stockReservedV1: charge])
    }

    static let openAccount: EventHandler = { event, context in
        let customer = try event.decode(CustomerRegistered.self)
        try await context.write(
            PaymentStore.openAccount(
                CreditAccount(customerID: customer.customerId, limitMinor: MinorUnits.fromMajor(customer.creditLimit))))
    }

    static let charge: EventHandler = { event, context in
        let reserved = try event.decode(StockReserved.self)
        let (charged, account) = try await PaymentStore.lockAccountForCharge(
            order: reserved.orderId, customer: reserved.customerId, on: context.connection)
        guard !charged else { return }
        let amountMinor = MinorUnits.fromMajor(reserved.amount)
        let id = UUIDText.lowercased(reserved.orderId)
        let customer = UUIDText.lowercased(reserved.customerId)
        switch Credit.charge(amountMinor, account: account) {
        case .capture(let charged):
            let paymentID = RandomUUID.make()
            try await context.write(PaymentStore.updateAccount(charged))
            try await context.write(
                PaymentStore.insertPayment(
                    order: reserved.orderId, payment: paymentID, customer: reserved.customerId,
                    amountMinor: amountMinor, status: "captured", reason: nil))
            try await context.emit(
                OutboxEvent(
                    type: capturedV1, key: id,
                    encoding: PaymentCaptured(
                        orderId: id, customerId: customer, paymentId: UUIDText.lowercased(paymentID),
                        amount: reserved.amount, capturedAt: Date())))
        case .fail(let failure):
            try await context.write(
                PaymentStore.insertPayment(
                    order: reserved.orderId, payment: RandomUUID.make(), customer: reserved.customerId,
                    amountMinor: amountMinor, status: "failed", reason: failure.rawValue))
            try await context.emit(
                OutboxEvent(
                    type: failedV1, key: id,
                    encoding: PaymentFailed(
                        orderId: id, customerId: customer, amount: reserved.amount, reason: failure.rawValue,
                        failedAt: Date())))
        }
    }
}
