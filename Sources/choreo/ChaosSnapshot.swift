import DeadLetters
import Foundation
import Postgres

/// Row counts of every table of every service database (processed events, domain tables,
/// outboxes) and the records of the dead-letter store: what a replay that changes nothing
/// leaves as it was.
struct ChaosSnapshot: Sendable, Equatable {
    /// `service.table` → rows, plus `dead-letter-store` → records.
    var counts: [String: Int] = [:]

    /// Reads the counts. `connections`: one per service database, by service name.
    static func take(connections: [String: PostgresConnection], store: DeadLetterStore) async throws -> ChaosSnapshot {
        var snapshot = ChaosSnapshot()
        for (service, connection) in connections {
            let tables = try await connection.query(
                """
                SELECT table_name::text FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                """
            ).map { try $0.decode(String.self, column: 0) }
            for table in tables {
                // The name comes from the catalogue, quoted as an identifier.
                let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                let rows = try await connection.query("SELECT count(*) FROM \(unsafeSQL: quoted)")
                snapshot.counts["\(service).\(table)"] = try rows.first?.decode(Int.self, column: 0) ?? 0
            }
        }
        snapshot.counts["dead-letter-store"] = Int(try await store.stats().total)
        return snapshot
    }

    /// Each count that differs in `later`, as `name before → after`.
    func changes(to later: ChaosSnapshot) -> [String] {
        Set(counts.keys).union(later.counts.keys).sorted().compactMap { name in
            let (before, after) = (counts[name] ?? 0, later.counts[name] ?? 0)
            return before == after ? nil : "\(name) \(before) → \(after)"
        }
    }
}
