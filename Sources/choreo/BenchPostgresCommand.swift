import ArgumentParser
import Foundation
import Logging
import Postgres

/// `choreo bench postgres`: INSERT throughput of four ways to write rows, in a scratch
/// database: one row per transaction, 1,000 single-row INSERTs per transaction, and two
/// bulk statements of 1,000 rows (`unnest` of arrays, multi-row `VALUES`).
struct BenchPostgresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "INSERT rows/s: one row per transaction, 1,000 per transaction, bulk unnest and multi-row VALUES."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Rows written by each method.")
    var rows: Int = 20_000

    @Option(help: "Rows per transaction or bulk statement.")
    var batch: Int = 1_000

    func validate() throws {
        guard rows > 0, batch > 0 else { throw ValidationError("--rows and --batch must be positive") }
        // Multi-row VALUES binds 3 parameters a row; the protocol allows 65,535.
        guard batch * 3 <= 65_535 else { throw ValidationError("--batch must be at most 21845") }
    }

    /// One generated row; made before timing starts, so only the database path is measured.
    struct Row: Sendable {
        var id: UUID
        var name: String
        var payload: PostgresJSON
    }

    func run() async throws {
        LoggingSystem.bootstrapOnce()
        var logger = Logger(label: "choreo.bench.postgres")
        logger.logLevel = .warning
        let scratch = try await BenchDatabase.create(adminURL: database.url(), prefix: "choreo_bench_pg")
        do {
            try await measure(in: scratch, logger: logger)
        } catch {
            try? await scratch.drop()
            throw error
        }
        try await scratch.drop()
    }

    private func measure(in scratch: BenchDatabase, logger: Logger) async throws {
        let connection = try await PostgresConnection.connect(configuration: scratch.configuration, logger: logger)
        do {
            try await measure(on: connection, in: scratch)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    private func measure(on connection: PostgresConnection, in scratch: BenchDatabase) async throws {
        try await connection.simpleQuery(
            "CREATE TABLE bench_rows (id uuid PRIMARY KEY, name text NOT NULL, payload jsonb NOT NULL)")
        print("scratch database \(scratch.name); \(rows) rows per method, \(batch) rows per transaction or statement")

        let single = try await phase("one row per transaction", connection) { rows in
            for row in rows {
                try await connection.withTransaction { tx in
                    try await tx.execute(
                        "INSERT INTO bench_rows (id, name, payload) VALUES (\(row.id), \(row.name), \(row.payload))")
                }
            }
        }
        let batched = try await phase("\(batch) single-row INSERTs per transaction", connection) { rows in
            for chunk in rows.chunked(batch) {
                try await connection.withTransaction { tx in
                    for row in chunk {
                        try await tx.execute(
                            "INSERT INTO bench_rows (id, name, payload) VALUES (\(row.id), \(row.name), \(row.payload))"
                        )
                    }
                }
            }
        }
        let unnest = try await phase("INSERT … SELECT FROM unnest(arrays), \(batch) rows per statement", connection) {
            rows in
            for chunk in rows.chunked(batch) {
                try await connection.execute(
                    """
                    INSERT INTO bench_rows (id, name, payload)
                    SELECT * FROM unnest(\(chunk.map(\.id))::uuid[], \(chunk.map(\.name))::text[], \(chunk.map(\.payload))::jsonb[])
                    """)
            }
        }
        let multiValues = try await phase("multi-row VALUES, \(batch) rows per statement", connection) { rows in
            for chunk in rows.chunked(batch) {
                try await connection.execute(Self.multiRowInsert(chunk))
            }
        }
        let ratio = unnest / single
        print(String(format: "bulk unnest / one row per transaction = %.1f×", ratio))
        let summary: [String: Any] = [
            "benchmark": "postgres", "rows": rows, "batch": batch,
            "single_row_tx_rows_per_s": Int(single), "batched_tx_rows_per_s": Int(batched),
            "unnest_rows_per_s": Int(unnest), "multi_values_rows_per_s": Int(multiValues),
            "ratio": (ratio * 10).rounded() / 10,
        ]
        print(try JSONLine.render(summary))
    }

    /// Empties the table, writes `rows` rows with `write`, checks they are all there, and
    /// prints and returns rows/s.
    private func phase(
        _ name: String, _ connection: PostgresConnection, _ write: ([Row]) async throws -> Void
    ) async throws -> Double {
        try await connection.simpleQuery("TRUNCATE bench_rows")
        try await connection.simpleQuery("VACUUM ANALYZE bench_rows")
        let data = (0..<rows).map { index in
            Row(
                id: UUID(), name: "row-\(index)",
                payload: PostgresJSON(
                    #"{"n": \#(index), "kind": "bench", "note": "quote \" and \\ backslash", "pad": "\#(String(repeating: "x", count: 64))"}"#
                ))
        }
        let start = ContinuousClock.now
        try await write(data)
        let elapsed = ContinuousClock.now - start
        let count = try await connection.query("SELECT count(*) FROM bench_rows")[0].decode(Int.self, column: 0)
        guard count == rows else {
            throw ValidationError("\(name): expected \(rows) rows in the table, found \(count)")
        }
        let rate = Double(rows) / elapsed.seconds
        print("\(name): \(rows) rows in \(elapsed.formattedSeconds) → \(Int(rate)) rows/s")
        return rate
    }

    /// `INSERT … VALUES ($1, $2, $3), ($4, $5, $6), …` — every value still a bound parameter.
    static func multiRowInsert(_ rows: ArraySlice<Row>) -> PostgresQuery {
        var sql = PostgresQuery.StringInterpolation(
            literalCapacity: 40 + rows.count * 24, interpolationCount: rows.count * 3)
        sql.appendLiteral("INSERT INTO bench_rows (id, name, payload) VALUES ")
        for (index, row) in rows.enumerated() {
            sql.appendLiteral(index == 0 ? "(" : ", (")
            sql.appendInterpolation(row.id)
            sql.appendLiteral("::uuid, ")
            sql.appendInterpolation(row.name)
            sql.appendLiteral(", ")
            sql.appendInterpolation(row.payload)
            sql.appendLiteral("::jsonb)")
        }
        return PostgresQuery(stringInterpolation: sql)
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    fileprivate func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
