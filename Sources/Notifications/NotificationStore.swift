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

    static func alreadySent(_ key: Notification.Key, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query(
            "SELECT 1 FROM notifications WHERE subject_id = \(key.subjectID) AND kind = \(key.kind.rawValue)"
        ).isEmpty
    }

    static func record(_ notification: Notification, event: UUID) -> PostgresQuery {
        """
        INSERT INTO notifications (subject_id, kind, customer_id, message, event_id)
        VALUES (\(notification.subjectID), \(notification.kind.rawValue), \(notification.customerID),
                \(notification.message), \(event))
        """
    }
}
