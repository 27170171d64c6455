import Foundation

/// What a notification is about.
public enum NotificationKind: String, Sendable, Equatable, CaseIterable {
    case welcome = "customer-welcome"
    case orderConfirmed = "order-confirmed"
    case orderCancelled = "order-cancelled"
}

/// One message to a customer. `(subjectID, kind)` is its identity: one notification per
/// customer welcome, per confirmed order and per cancelled order, however often the event
/// that causes it is delivered or re-emitted.
public struct Notification: Sendable, Equatable {
    /// The customer (welcome) or the order (outcomes).
    public var subjectID: UUID
    public var kind: NotificationKind
    public var customerID: UUID
    public var message: String

    public init(subjectID: UUID, kind: NotificationKind, customerID: UUID, message: String) {
        self.subjectID = subjectID
        self.kind = kind
        self.customerID = customerID
        self.message = message
    }

    /// The deduplication key.
    public var key: Key { Key(subjectID: subjectID, kind: kind) }

    public struct Key: Sendable, Hashable {
        public var subjectID: UUID
        public var kind: NotificationKind

        public init(subjectID: UUID, kind: NotificationKind) {
            self.subjectID = subjectID
            self.kind = kind
        }
    }
}

/// The notification rules: which notification each event causes, and deduplication.
public enum Notifications {
    public static func welcome(customer: UUID, name: String) -> Notification {
        Notification(subjectID: customer, kind: .welcome, customerID: customer, message: "Welcome, \(name).")
    }

    public static func confirmed(order: UUID, customer: UUID) -> Notification {
        Notification(
            subjectID: order, kind: .orderConfirmed, customerID: customer, message: "Your order is confirmed.")
    }

    public static func cancelled(order: UUID, customer: UUID, reason: String) -> Notification {
        Notification(
            subjectID: order, kind: .orderCancelled, customerID: customer,
            message: "Your order was cancelled (\(reason)).")
    }

    /// The notifications of `candidates` to send, in order: the first of each key that is
    /// not in `alreadySent`.
    public static func deduplicate(_ candidates: [Notification], alreadySent: Set<Notification.Key>) -> [Notification] {
        var seen = alreadySent
        return candidates.filter { seen.insert($0.key).inserted }
    }
}
