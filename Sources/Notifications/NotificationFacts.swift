import Foundation
import Postgres

/// What Notifications' database says, for operators: read only.
public enum NotificationFacts {
    /// Per subject (order or customer), the kinds notified, with repeats (the primary key
    /// forbids them; a repeat would be a violation).
    public static func kinds(on connection: PostgresConnection) async throws -> [UUID: [NotificationKind]] {
        var kinds: [UUID: [NotificationKind]] = [:]
        for row in try await connection.query("SELECT subject_id, kind FROM notifications") {
            guard let kind = NotificationKind(rawValue: try row.decode(String.self, column: 1)) else { continue }
            kinds[try row.decode(UUID.self, column: 0), default: []].append(kind)
        }
        return kinds
    }
}
