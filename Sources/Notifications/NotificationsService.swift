import Consumers
import Contracts
import Foundation
import Services

/// The Notifications service: one notification per customer welcome and per order outcome,
/// deduplicated by `(subject, kind)`.
public enum NotificationsService {
    static let customerRegisteredV1 = EventType(name: "customer.registered", version: 1)
    static let orderConfirmedV1 = EventType(name: "order.confirmed", version: 1)
    static let orderCancelledV1 = EventType(name: "order.cancelled", version: 1)

    struct Registered: Decodable { var customerId: UUID, name: String }
    struct Confirmed: Decodable { var orderId: UUID, customerId: UUID }
    struct Cancelled: Decodable { var orderId: UUID, customerId: UUID, reason: String }

    public static var description: ServiceDescription {
        ServiceDescription(
            name: "notifications", migrations: NotificationStore.migrations,
            handlers: [
                customerRegisteredV1: notify { event in
                    let data = try event.decode(Registered.self)
                    return Notifications.welcome(customer: data.customerId, name: data.name)
                },
                orderConfirmedV1: notify { event in
                    let data = try event.decode(Confirmed.self)
                    return Notifications.confirmed(order: data.orderId, customer: data.customerId)
                },
                orderCancelledV1: notify { event in
                    let data = try event.decode(Cancelled.self)
                    return Notifications.cancelled(order: data.orderId, customer: data.customerId, reason: data.reason)
                },
            ])
    }

    /// A handler that sends the notification `make` builds unless one with its key was sent.
    static func notify(_ make: @escaping @Sendable (ConsumedEvent) throws -> Notification) -> EventHandler {
        { event, context in
            let notification = try make(event)
            let sent: Set<Notification.Key> =
                try await NotificationStore.alreadySent(notification.key, on: context.connection)
                ? [notification.key] : []
            for fresh in Notifications.deduplicate([notification], alreadySent: sent) {
                try await context.write(NotificationStore.record(fresh, event: event.envelope.id))
            }
        }
    }
}
