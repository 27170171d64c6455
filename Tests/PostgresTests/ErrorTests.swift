import ChoreoTestSupport
import Postgres
import Testing

/// Server errors and connection failures map to `PostgresError` codes and SQLSTATEs.
@Suite("Errors")
struct ErrorTests {
    @Test func uniqueViolationNamesTheConstraintAndNotTheValue() async throws {
        try await withScratchDatabaseConnection { connection in
            try await connection.simpleQuery(
                "CREATE TABLE accounts (id int PRIMARY KEY, email text, CONSTRAINT accounts_email_key UNIQUE (email))")
            try await connection.execute("INSERT INTO accounts VALUES (\(1), \("secret-value@example.com"))")
            let error = try #require(
                await postgresError {
                    try await connection.execute("INSERT INTO accounts VALUES (\(2), \("secret-value@example.com"))")
                })
            #expect(error.code == .server)
            #expect(error.isUniqueViolation)
            #expect(error.sqlState == .uniqueViolation)
            #expect(error.sqlState?.rawValue == "23505")
            #expect(error.constraint == "accounts_email_key")
            #expect(!error.isRetriable)
            // The detail carries the row's value; the description must not.
            #expect(error.detail?.contains("secret-value") == true)
            #expect(!error.description.contains("secret-value"))
            #expect(error.description.contains("23505"))
        }
    }

    @Test func syntaxErrorIsNotRetriableAndTheConnectionStaysUsable() async throws {
        try await withConnection(try testConfiguration()) { connection in
            let error = try #require(await postgresError { try await connection.execute("SELEC 1") })
            #expect(error.code == .server)
            #expect(error.sqlState == .syntaxError)
            #expect(!error.isRetriable)
            #expect(!error.isUniqueViolation)
            let undefined = try #require(
                await postgresError { try await connection.execute("SELECT * FROM no_such_table") })
            #expect(undefined.sqlState == .undefinedTable)
            #expect(!connection.isClosed)
            let rows = try await connection.query("SELECT 1")
            #expect(try rows[0].decode(Int.self, column: 0) == 1)
        }
    }

    @Test func retriableServerErrors() async throws {
        try await withConnection(try testConfiguration()) { connection in
            try await connection.simpleQuery("SET statement_timeout = '50ms'")
            let timeout = try #require(await postgresError { try await connection.execute("SELECT pg_sleep(5)") })
            #expect(timeout.sqlState == .queryCanceled)
            #expect(timeout.isRetriable)
            #expect(!connection.isClosed)
        }
        #expect(PostgresError(code: .server, sqlState: .serializationFailure, message: "x").isRetriable)
        #expect(PostgresError(code: .server, sqlState: .deadlockDetected, message: "x").isRetriable)
        #expect(!PostgresError(code: .server, sqlState: .checkViolation, message: "x").isRetriable)
        #expect(!PostgresError(code: .decoding, message: "x").isRetriable)
    }

    @Test func wrongDatabaseFailsNamingHostPortAndDatabase() async throws {
        var configuration = try testConfiguration()
        configuration.database = "choreo_no_such_database"
        let error = try #require(
            await postgresError { _ = try await PostgresConnection.connect(configuration: configuration) })
        #expect(error.code == .connectionFailed)
        #expect(error.isRetriable)
        #expect(error.description.contains("choreo_no_such_database"))
        #expect(error.description.contains("\(configuration.host ?? "localhost"):\(configuration.port ?? 5432)"))
        #expect(!error.description.contains(testDatabaseURL))
        if let password = configuration.password, let user = configuration.user {
            #expect(!error.description.contains("\(user):\(password)"))
        }
    }

    @Test func unreachablePortFailsWithoutShowingThePassword() async throws {
        let url = "postgresql://someone:Unreachable-S3cret@127.0.0.1:1/somedb"
        let configuration = try PostgresConfiguration(url: url)
        let error = try #require(
            await postgresError { _ = try await PostgresConnection.connect(configuration: configuration) })
        #expect(error.code == .connectionFailed)
        #expect(error.description.contains("127.0.0.1:1/somedb"))
        #expect(!error.description.contains("Unreachable-S3cret"))
        #expect(!configuration.description.contains("Unreachable-S3cret"))
    }

    @Test func wrongPasswordFailsWithoutShowingThePassword() async throws {
        var configuration = try testConfiguration()
        configuration.password = "Wrong-Pa55word-\(uniqueName("x"))"
        let password = try #require(configuration.password)
        let error = try #require(
            await postgresError { _ = try await PostgresConnection.connect(configuration: configuration) })
        #expect(error.code == .connectionFailed)
        #expect(error.description.contains(configuration.database ?? ""))
        #expect(error.description.contains("\(configuration.host ?? "localhost"):\(configuration.port ?? 5432)"))
        #expect(error.description.contains("password authentication failed"))
        #expect(!error.description.contains(password))
    }

    @Test func malformedURLsAreConfigurationErrors() async throws {
        let urls = [
            "postgresql://user:Malformed-S3cret@host:notaport/db",
            "mysql://user:Malformed-S3cret@host/db",
            "postgresql://user:Malformed-S3cret@host:5432/db?connect_timeout=-1",
            "just some text",
            "host=localhost port=abc password=Malformed-S3cret",
            "host=localhost password='Malformed-S3cret",
        ]
        for url in urls {
            let error = await postgresError { _ = try PostgresConfiguration(url: url) }
            #expect(error?.code == .configuration, "\(url)")
            #expect(error.map { !$0.description.contains("Malformed-S3cret") } == true)
        }
    }

    @Test func urlsAndKeywordStringsParse() throws {
        let url = try PostgresConfiguration(
            url: "postgresql://us%40er:p%40ss%3Aword@db.example:6543/orders?sslmode=disable&connect_timeout=3")
        #expect(url.user == "us@er" && url.password == "p@ss:word")
        #expect(url.host == "db.example" && url.port == 6543 && url.database == "orders")
        #expect(url.parameters == ["sslmode": "disable"] && url.connectTimeout == .seconds(3))
        #expect(url.description == "us@er@db.example:6543/orders")
        let keywords = try PostgresConfiguration(url: "host=localhost port=5433 dbname=x user=u password='a b\\'c'")
        #expect(keywords.host == "localhost" && keywords.port == 5433 && keywords.database == "x")
        #expect(keywords.password == "a b'c")
        #expect(!keywords.description.contains("a b'c"))
    }
}
