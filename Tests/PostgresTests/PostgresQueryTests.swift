import Foundation
import Postgres
import Testing

/// `PostgresQuery` string interpolation, without a database.
@Suite("PostgresQuery interpolation")
struct PostgresQueryTests {
    @Test func valuesBecomeNumberedPlaceholdersAndBindsInOrder() throws {
        let id = try #require(UUID(uuidString: "3F2504E0-4F89-11D3-9A0C-0305E82C3301"))
        let name: String? = nil
        let status = "shipped'; DROP TABLE orders; --"
        let query: PostgresQuery =
            "SELECT * FROM orders WHERE id = \(id) AND name = \(name) AND status = \(status) AND n IN (\(1), \(Int64(-2)), \(true), \(1.5))"
        #expect(
            query.sql == "SELECT * FROM orders WHERE id = $1 AND name = $2 AND status = $3 AND n IN ($4, $5, $6, $7)")
        #expect(query.binds == ["3f2504e0-4f89-11d3-9a0c-0305e82c3301", nil, status, "1", "-2", "t", "1.5"])
        // The values never appear in the SQL text or the description.
        #expect(!query.sql.contains("DROP"))
        #expect(!query.description.contains("shipped"))
    }

    @Test func moreThanNineParametersAreNumberedCorrectly() {
        var interpolation = PostgresQuery.StringInterpolation(literalCapacity: 64, interpolationCount: 12)
        interpolation.appendLiteral("VALUES ")
        for value in 1...12 {
            if value > 1 { interpolation.appendLiteral(", ") }
            interpolation.appendLiteral("(")
            interpolation.appendInterpolation(value * 10)
            interpolation.appendLiteral(")")
        }
        let query = PostgresQuery(stringInterpolation: interpolation)
        #expect(query.sql == "VALUES " + (1...12).map { "($\($0))" }.joined(separator: ", "))
        #expect(query.binds == (1...12).map { String($0 * 10) })
    }

    @Test func unsafeSQLInsertsTextWithoutABind() {
        let table = "orders_2026"
        let column = "created_at"
        let since = Date(timeIntervalSince1970: 0)
        let query: PostgresQuery =
            "SELECT \(unsafeSQL: column) FROM \(unsafeSQL: table) WHERE \(unsafeSQL: column) > \(since)"
        #expect(query.sql == "SELECT created_at FROM orders_2026 WHERE created_at > $1")
        #expect(query.binds == ["1970-01-01 00:00:00.000000+00"])
    }

    @Test func literalsAndUnsafeInitialiserHaveNoBinds() {
        let literal: PostgresQuery = "SELECT 1"
        #expect(literal.sql == "SELECT 1" && literal.binds.isEmpty)
        let built = PostgresQuery(unsafeSQL: "SELECT $1::int", binds: ["5"])
        #expect(built.sql == "SELECT $1::int" && built.binds == ["5"])
    }

    @Test func arraysAndBytesBindAsPostgresLiterals() {
        let tags: [String?] = ["a", "b,c", "\"q\"", #"\"#, nil, "NULL", "{}"]
        let bytes: [UInt8] = [0, 1, 0xAB, 0xFF]
        let blobs: [[UInt8]] = [[0], []]
        let query: PostgresQuery =
            "SELECT \(tags)::text[], \(bytes)::bytea, \(blobs)::bytea[], \(PostgresJSON("{}"))::jsonb"
        #expect(query.sql == "SELECT $1::text[], $2::bytea, $3::bytea[], $4::jsonb")
        #expect(
            query.binds == [#"{"a","b,c","\"q\"","\\",NULL,"NULL","{}"}"#, #"\x0001abff"#, #"{"\\x00","\\x"}"#, "{}"])
    }
}
