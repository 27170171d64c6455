import Foundation
import Postgres

/// The Notifications service's table: one row per sent notification, keyed by
/// `(subject_id, kind)`.
enum NotificationStore {
    static let migrations: [Migration] = [
        Migration(
            id: "notifications-001",
            sql: """
                CREATE TABLE IF NOT EXISTS notifications (
                    subject_id  uuid        NOT NULL,
                    kind        text        NOT NULL,
                    customer_id uuid        NOT NULL,
                    message     text        NOT NULL,
                    event_id    uuid        NOT NULL,
                    sent_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
                    PRIMARY KEY (subject_id, kind)
                );
                """)
    ]

    /// Records `notification` unless one with its key was sent: the primary key decides, in
    /// the one statement (no read first), so a repeat — a redelivered or re-emitted event,
    /// or the same key from a concurrent transaction — changes nothing.
    static func record(_ notification: Notification, event: UUID) -> PostgresQuery {
        """
        INSERT INTO notifications (subject_id, kind, customer_id, message, event_id)
        VALUES (\(notification.subjectID), \(notification.kind.rawValue), \(notification.customerID),
                \(notification.message), \(event))
        ON CONFLICT (subject_id, kind) DO NOTHING
        """
    }
}
