import ChoreoTestSupport
import Foundation
import Postgres
import Testing

/// Every supported type bound as a `$n` text parameter, cast by the server and read back.
@Suite("Binding round-trips")
struct BindingTests {
    /// `SELECT $1::type` decoded as `T`.
    private func roundTrip<T: PostgresEncodable & PostgresDecodable>(
        _ value: T, as sqlType: String, on connection: PostgresConnection
    ) async throws -> T {
        let rows = try await connection.query("SELECT \(value)::\(unsafeSQL: sqlType)")
        return try #require(rows.first).decode(T.self, column: 0)
    }

    @Test func firstRowOfAStatementThatReturnedNoneIsAnErrorNamingIt() async throws {
        try await withConnection(try testConfiguration()) { connection in
            let one = try await connection.query("SELECT EXISTS (SELECT 1 WHERE false)")
            #expect(try one.firstRow(of: "the probe").decode(Bool.self, column: 0) == false)
            let none = try await connection.query("SELECT 1 WHERE false")
            let error = #expect(throws: PostgresError.self) { try none.firstRow(of: "the probe") }
            #expect(error?.code == .decoding)
            #expect("\(error.map { "\($0)" } ?? "")".contains("the probe returned no row"))
        }
    }

    @Test func integersIncludingExtremes() async throws {
        try await withConnection(try testConfiguration()) { connection in
            for value: Int64 in [0, -1, 42, -9_876_543_210, .max, .min] {
                #expect(try await roundTrip(value, as: "bigint", on: connection) == value)
            }
            for value: Int in [0, -7, .max, .min] {
                #expect(try await roundTrip(value, as: "bigint", on: connection) == value)
            }
            for value: Int32 in [.max, .min] {
                #expect(try await roundTrip(value, as: "integer", on: connection) == value)
            }
            for value: Int16 in [.max, .min] {
                #expect(try await roundTrip(value, as: "smallint", on: connection) == value)
            }
            // The server really sees the number, not some text that happens to round-trip.
            let rows = try await connection.query("SELECT \(Int64.min)::bigint + 1, \(Int64.max)::bigint / 2")
            #expect(try rows[0].decode(Int64.self, column: 0) == Int64.min + 1)
            #expect(try rows[0].decode(Int64.self, column: 1) == Int64.max / 2)
        }
    }

    @Test func booleans() async throws {
        try await withConnection(try testConfiguration()) { connection in
            #expect(try await roundTrip(true, as: "boolean", on: connection) == true)
            #expect(try await roundTrip(false, as: "boolean", on: connection) == false)
            let rows = try await connection.query("SELECT NOT \(true)::boolean")
            #expect(try rows[0].decode(Bool.self, column: 0) == false)
        }
    }

    @Test func doublesIncludingNaNAndInfinities() async throws {
        try await withConnection(try testConfiguration()) { connection in
            let values: [Double] = [
                0, -0.0, 1.5, -2.25, 0.1, 1e-300, 1e300, .pi, .greatestFiniteMagnitude,
                .leastNormalMagnitude, .leastNonzeroMagnitude, 1.0 / 3.0, 123_456_789.123_456_789,
            ]
            for value in values {
                let back = try await roundTrip(value, as: "double precision", on: connection)
                #expect(back.bitPattern == value.bitPattern, "\(value) came back as \(back)")
            }
            #expect(try await roundTrip(Double.nan, as: "double precision", on: connection).isNaN)
            #expect(try await roundTrip(Double.infinity, as: "double precision", on: connection) == .infinity)
            #expect(try await roundTrip(-Double.infinity, as: "double precision", on: connection) == -.infinity)
            let rows = try await connection.query(
                "SELECT \(Double.nan)::float8 = 'NaN'::float8, \(Double.infinity)::float8 > 1e308")
            #expect(try rows[0].decode(Bool.self, column: 0))
            #expect(try rows[0].decode(Bool.self, column: 1))
            #expect(try await roundTrip(Float(0.1), as: "real", on: connection) == Float(0.1))
        }
    }

    @Test func unicodeTextWithQuotesAndBackslashes() async throws {
        try await withConnection(try testConfiguration()) { connection in
            let texts = [
                "", "plain", "it's \"quoted\" 'twice'", #"back\slash \\ and \x00 \n literal"#,
                "line\nbreak\ttab\r", "ünïcødé 中文 עברית 🎉👩‍👩‍👧", "'); DROP TABLE students; --", "$1 $2 ?",
                String(repeating: "long ✓ ", count: 10_000),
            ]
            for text in texts {
                #expect(try await roundTrip(text, as: "text", on: connection) == text)
                // The server counts the same characters (code points) as Swift does.
                let rows = try await connection.query("SELECT length(\(text)::text), octet_length(\(text)::text)")
                #expect(try rows[0].decode(Int.self, column: 0) == text.unicodeScalars.count)
                #expect(try rows[0].decode(Int.self, column: 1) == text.utf8.count)
            }
            let substring: Substring = "abc def".dropFirst(4)
            let rows = try await connection.query("SELECT \(substring)::text")
            #expect(try rows[0].decode(String.self, column: 0) == "def")
        }
    }

    @Test func nullThroughOptionals() async throws {
        try await withConnection(try testConfiguration()) { connection in
            let noText: String? = nil
            let noNumber: Int64? = nil
            let noID: UUID? = nil
            let someText: String? = "x"
            let rows = try await connection.query(
                """
                SELECT \(noText)::text, \(noNumber)::bigint, \(noID)::uuid, \(someText)::text,
                       \(noText)::text IS NULL, \(noNumber)::bigint IS NULL
                """)
            let row = try #require(rows.first)
            #expect(try row.decode(String?.self, column: 0) == nil)
            #expect(try row.decode(Int64?.self, column: 1) == nil)
            #expect(try row.decode(UUID?.self, column: 2) == nil)
            #expect(try row.decode(String?.self, column: 3) == "x")
            #expect(try row.decode(Bool.self, column: 4))
            #expect(try row.decode(Bool.self, column: 5))
            // NULL into a non-optional is a decoding error, not an empty value.
            let error = await postgresError { _ = try row.decode(String.self, column: 0) }
            #expect(error?.code == .decoding)
            // The empty string is not NULL.
            let empty = try await connection.query("SELECT \("")::text IS NULL")
            #expect(try empty[0].decode(Bool.self, column: 0) == false)
        }
    }

    @Test func bytesWithZerosAndAll256Values() async throws {
        try await withConnection(try testConfiguration()) { connection in
            let all = (0...255).map { UInt8($0) }
            let samples: [[UInt8]] = [[], [0], [0, 0, 0], all, all.reversed(), [0x5C, 0x78, 0x00, 0x27, 0x22]]
            for bytes in samples {
                #expect(try await roundTrip(bytes, as: "bytea", on: connection) == bytes)
                #expect(try await roundTrip(Data(bytes), as: "bytea", on: connection) == Data(bytes))
            }
            // The server holds the bytes themselves: length and each byte.
            let rows = try await connection.query(
                "SELECT length(\(all)::bytea), get_byte(\(all)::bytea, 0), get_byte(\(all)::bytea, 255), sha256(\(all)::bytea)"
            )
            let row = try #require(rows.first)
            #expect(try row.decode(Int.self, column: 0) == 256)
            #expect(try row.decode(Int.self, column: 1) == 0)
            #expect(try row.decode(Int.self, column: 2) == 255)
            #expect(try row.decode([UInt8].self, column: 3).count == 32)
        }
    }

    @Test func uuids() async throws {
        try await withConnection(try testConfiguration()) { connection in
            let id = UUID()
            #expect(try await roundTrip(id, as: "uuid", on: connection) == id)
            let fixed = try #require(UUID(uuidString: "00000000-0000-0000-0000-000000000000"))
            #expect(try await roundTrip(fixed, as: "uuid", on: connection) == fixed)
            let rows = try await connection.query("SELECT \(id)::uuid::text")
            #expect(try rows[0].decode(String.self, column: 0) == id.uuidString.lowercased())
        }
    }

    @Test func jsonAndJSONB() async throws {
        try await withConnection(try testConfiguration()) { connection in
            let text = #"{"b": [1, 2.5, null, true], "a": "quote \" backslash \\ ünï 🎉", "empty": {}}"#
            let json = PostgresJSON(text)
            // json keeps the text as sent; jsonb normalises it but keeps the content.
            #expect(try await roundTrip(json, as: "json", on: connection) == json)
            let rows = try await connection.query(
                """
                SELECT \(json)::jsonb ->> 'a', jsonb_array_length(\(json)::jsonb -> 'b'),
                       \(json)::jsonb = \(PostgresJSON(Array(text.utf8)))::jsonb, \(json)::jsonb
                """)
            let row = try #require(rows.first)
            #expect(try row.decode(String.self, column: 0) == "quote \" backslash \\ ünï 🎉")
            #expect(try row.decode(Int.self, column: 1) == 4)
            #expect(try row.decode(Bool.self, column: 2))
            let normalised = try row.decode(PostgresJSON.self, column: 3)
            let reparsed = try await connection.query("SELECT \(normalised)::jsonb = \(json)::jsonb")
            #expect(try reparsed[0].decode(Bool.self, column: 0))
            // Invalid JSON is refused by the server.
            let error = await postgresError { _ = try await connection.query("SELECT \(PostgresJSON("{nope"))::jsonb") }
            #expect(error?.sqlState == .invalidTextRepresentation)
        }
    }

    @Test func timestampsWithMicrosecondPrecision() async throws {
        try await withConnection(try testConfiguration()) { connection in
            let micros: [Int64] = [
                0, 1, -1, 1_795_000_000_123_456, 1_795_000_000_999_999, 946_684_799_999_999, -2_208_988_800_000_001,
                4_102_444_800_000_000,
            ]
            for value in micros {
                let date = Date(timeIntervalSince1970: Double(value) / 1_000_000)
                let back = try await roundTrip(date, as: "timestamptz", on: connection)
                #expect(back == date, "\(value) µs came back as \(back.timeIntervalSince1970)")
                // The server stores exactly that microsecond.
                let rows = try await connection.query(
                    """
                    SELECT (extract(epoch FROM \(date)::timestamptz) * 1000000)::bigint
                    """)
                #expect(try rows[0].decode(Int64.self, column: 0) == value)
            }
            // A value the server wrote (not one we sent) decodes to the same microsecond.
            let rows = try await connection.query(
                "SELECT '2026-11-23 10:00:00.654321+00'::timestamptz, '2026-11-23 12:00:00.000001+02'::timestamptz")
            let expected = Date(timeIntervalSince1970: Double(1_795_428_000_654_321) / 1_000_000)
            #expect(try rows[0].decode(Date.self, column: 0) == expected)
            #expect(try rows[0].decode(Date.self, column: 1) == Date(timeIntervalSince1970: 1_795_428_000.000001))
        }
    }

    @Test func textArraysWithSpecialCharactersAndNullsThroughUnnest() async throws {
        try await withConnection(try testConfiguration()) { connection in
            let values: [String?] = [
                "plain", "with,comma", "with \"quotes\"", #"back\slash"#, "{braces}", "}{", "NULL", nil, "",
                " spaced ", "ünï 🎉", "'single'", "a\nb",
            ]
            let rows = try await connection.query(
                "SELECT v FROM unnest(\(values)::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n")
            #expect(try rows.map { try $0.decode(String?.self, column: 0) } == values)
            let counts = try await connection.query(
                "SELECT cardinality(\(values)::text[]), array_position(\(values)::text[], NULL)")
            #expect(try counts[0].decode(Int.self, column: 0) == values.count)
            #expect(try counts[0].decode(Int.self, column: 1) == 8)
            let empty: [String] = []
            let none = try await connection.query("SELECT v FROM unnest(\(empty)::text[]) AS t(v)")
            #expect(none.isEmpty)
        }
    }

    @Test func numberUUIDDateAndJSONArraysThroughUnnest() async throws {
        try await withConnection(try testConfiguration()) { connection in
            let numbers: [Int64] = [.min, -1, 0, 1, .max]
            let ids = [UUID(), UUID(), UUID()]
            let dates = [Date(timeIntervalSince1970: 1_795_000_000.123456), Date(timeIntervalSince1970: 0)]
            let documents = [PostgresJSON(#"{"a": "x,y"}"#), PostgresJSON(#"["}", "\\"]"#)]
            let doubles: [Double] = [.nan, .infinity, -1.5]
            let flags = [true, false]
            let rows = try await connection.query(
                "SELECT v FROM unnest(\(numbers)::bigint[]) WITH ORDINALITY AS t(v, n) ORDER BY n")
            #expect(try rows.map { try $0.decode(Int64.self, column: 0) } == numbers)
            let uuidRows = try await connection.query(
                "SELECT v FROM unnest(\(ids)::uuid[]) WITH ORDINALITY AS t(v, n) ORDER BY n")
            #expect(try uuidRows.map { try $0.decode(UUID.self, column: 0) } == ids)
            let dateRows = try await connection.query(
                "SELECT v FROM unnest(\(dates)::timestamptz[]) WITH ORDINALITY AS t(v, n) ORDER BY n")
            #expect(try dateRows.map { try $0.decode(Date.self, column: 0) } == dates)
            let jsonRows = try await connection.query(
                "SELECT v ->> 0, v ->> 'a' FROM unnest(\(documents)::jsonb[]) WITH ORDINALITY AS t(v, n) ORDER BY n")
            #expect(try jsonRows[0].decode(String?.self, column: 1) == "x,y")
            #expect(try jsonRows[1].decode(String?.self, column: 0) == "}")
            let doubleRows = try await connection.query(
                "SELECT v FROM unnest(\(doubles)::float8[]) WITH ORDINALITY AS t(v, n) ORDER BY n")
            let decoded = try doubleRows.map { try $0.decode(Double.self, column: 0) }
            #expect(decoded.count == 3 && decoded[0].isNaN && decoded[1] == .infinity && decoded[2] == -1.5)
            let flagRows = try await connection.query(
                "SELECT v FROM unnest(\(flags)::boolean[]) WITH ORDINALITY AS t(v, n) ORDER BY n")
            #expect(try flagRows.map { try $0.decode(Bool.self, column: 0) } == flags)
        }
    }

    @Test func byteArraysAsByteaArray() async throws {
        try await withConnection(try testConfiguration()) { connection in
            let all = (0...255).map { UInt8($0) }
            let blobs: [[UInt8]] = [[], [0, 0], all, Array("\"{,}\\".utf8)]
            let rows = try await connection.query(
                "SELECT v, length(v) FROM unnest(\(blobs)::bytea[]) WITH ORDINALITY AS t(v, n) ORDER BY n")
            #expect(try rows.map { try $0.decode([UInt8].self, column: 0) } == blobs)
            #expect(try rows.map { try $0.decode(Int.self, column: 1) } == blobs.map(\.count))
            let optional: [[UInt8]?] = [[1], nil, []]
            let optionalRows = try await connection.query(
                "SELECT v FROM unnest(\(optional)::bytea[]) WITH ORDINALITY AS t(v, n) ORDER BY n")
            #expect(try optionalRows.map { try $0.decode([UInt8]?.self, column: 0) } == optional)
        }
    }

    @Test func valuesStoredInATableComeBackUnchanged() async throws {
        try await withScratchDatabaseConnection { connection in
            try await connection.simpleQuery(
                "CREATE TABLE everything (id uuid PRIMARY KEY, t text, n bigint, d float8, b bool, at timestamptz, data bytea, doc jsonb, tags text[])"
            )
            let id = UUID()
            let at = Date(timeIntervalSince1970: 1_795_000_000.000042)
            let data = (0...255).map { UInt8($0) }
            let tags: [String?] = ["a,b", nil, "\"c\""]
            let inserted = try await connection.execute(
                """
                INSERT INTO everything VALUES (\(id), \("ü'\\"), \(Int64.min), \(-0.5), \(true), \(at), \(data),
                    \(PostgresJSON(#"{"k": [1]}"#)), \(tags))
                """)
            #expect(inserted == 1)
            let rows = try await connection.query(
                "SELECT t, n, d, b, at, data, doc -> 'k' ->> 0, tags[2] IS NULL, tags[3] FROM everything WHERE id = \(id)"
            )
            let row = try #require(rows.first)
            #expect(try row.decode(String.self, column: "t") == "ü'\\")
            #expect(try row.decode(Int64.self, column: "n") == .min)
            #expect(try row.decode(Double.self, column: "d") == -0.5)
            #expect(try row.decode(Bool.self, column: "b"))
            #expect(try row.decode(Date.self, column: "at") == at)
            #expect(try row.decode([UInt8].self, column: "data") == data)
            #expect(try row.decode(String.self, column: 6) == "1")
            #expect(try row.decode(Bool.self, column: 7))
            #expect(try row.decode(String.self, column: 8) == "\"c\"")
        }
    }
}
