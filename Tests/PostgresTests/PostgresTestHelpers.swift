import ChoreoTestSupport
import Foundation
import Postgres

/// The test server's configuration (`CHOREO_TEST_DATABASE_URL`).
func testConfiguration() throws -> PostgresConfiguration {
    try PostgresConfiguration(url: testDatabaseURL)
}

/// Runs `body` with a new connection to `configuration`, closed afterwards.
func withConnection<T: Sendable>(
    _ configuration: PostgresConfiguration,
    _ body: (PostgresConnection) async throws -> T
) async throws -> T {
    try await PostgresConnection.withConnection(configuration: configuration, body)
}

/// A deadline for awaiting an event (a notification, a stream's end): never a fixed sleep.
struct TestTimeout: Error, CustomStringConvertible {
    var description: String
}

/// Runs `body`, failing with `TestTimeout` if it takes longer than `timeout`.
func withTimeout<T: Sendable>(
    _ timeout: Duration = .seconds(10),
    _ what: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TestTimeout(description: "\(what) did not happen within \(timeout)")
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw TestTimeout(description: "\(what): no result") }
        return first
    }
}

/// The `PostgresError` `body` throws; `nil` when it throws nothing or something else.
func postgresError(_ body: () async throws -> Void) async -> PostgresError? {
    do {
        try await body()
        return nil
    } catch let error as PostgresError {
        return error
    } catch {
        return nil
    }
}

/// A unique, lower-case name for channels and tables.
func uniqueName(_ prefix: String) -> String {
    "\(prefix)_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))"
}

/// Runs `body` with a connection to a new scratch database (dropped afterwards).
func withScratchDatabaseConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
    try await withScratchDatabase { configuration in try await withConnection(configuration, body) }
}
