import Foundation
import Postgres
import Testing

@testable import Notifications

/// The notifications table against a scratch database: the primary key deduplicates.
@Suite struct NotificationStoreTests {
    @Test func oneNotificationPerSubjectAndKindHoweverOftenItIsRecorded() async throws {
        try await withMigratedDatabase(NotificationStore.migrations) { connection in
            let (order, customer) = (UUID(), UUID())
            let first = Notifications.cancelled(order: order, customer: customer, reason: "insufficient-stock")
            let again = Notifications.cancelled(order: order, customer: customer, reason: "insufficient-credit")
            let confirmed = Notifications.confirmed(order: order, customer: customer)
            for notification in [first, again, confirmed, first] {
                try await connection.execute(NotificationStore.record(notification, event: UUID()))
            }
            let rows = try await connection.query(
                "SELECT kind, message FROM notifications WHERE subject_id = \(order) ORDER BY kind")
            #expect(try rows.map { try $0.decode(String.self, column: 0) } == ["order-cancelled", "order-confirmed"])
            #expect(try rows.first?.decode(String.self, column: 1) == first.message)
        }
    }
}
