import Foundation
import Postgres

/// The server tests use: `CHOREO_TEST_DATABASE_URL`, default the local `choreo` database
/// that `scripts/setup.sh` creates (its role may create databases).
public var testDatabaseURL: String {
    ProcessInfo.processInfo.environment["CHOREO_TEST_DATABASE_URL"]
        ?? "postgresql://choreo:choreo@127.0.0.1:5432/choreo"
}

/// Runs `body` with a new, empty database on the test server, dropped afterwards (even
/// when `body` throws). Each call gets its own database, so tests may run in parallel.
public func withScratchDatabase<T>(_ body: (PostgresConfiguration) async throws -> T) async throws -> T {
    let admin = try PostgresConfiguration(url: testDatabaseURL)
    let name = "choreo_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))"
    let connection = try await PostgresConnection.connect(configuration: admin)
    try await connection.simpleQuery("CREATE DATABASE \(name)")
    await connection.close()
    var scratch = admin
    scratch.database = name
    do {
        let result = try await body(scratch)
        try await dropScratchDatabase(name, admin: admin)
        return result
    } catch {
        try? await dropScratchDatabase(name, admin: admin)
        throw error
    }
}

/// The URL of a scratch database, for tests that start `choreo` processes.
public func databaseURL(of configuration: PostgresConfiguration) -> String {
    let user = configuration.user ?? "choreo"
    let password = configuration.password.map { ":\($0)" } ?? ""
    return
        "postgresql://\(user)\(password)@\(configuration.host ?? "127.0.0.1"):\(configuration.port ?? 5432)/\(configuration.database ?? "")"
}

private func dropScratchDatabase(_ name: String, admin: PostgresConfiguration) async throws {
    // An autovacuum worker may still be attached, and FORCE cannot end it without superuser
    // rights: retry for a while rather than fail the test over cleanup.
    var lastError: (any Error)?
    for _ in 0..<20 {
        do {
            try await PostgresConnection.withConnection(configuration: admin) { connection in
                try await connection.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            }
            return
        } catch {
            lastError = error
            try await Task.sleep(for: .milliseconds(250))
        }
    }
    FileHandle.standardError.write(
        Data("warning: scratch database \(name) was not dropped: \(lastError.map { "\($0)" } ?? "")\n".utf8))
}
