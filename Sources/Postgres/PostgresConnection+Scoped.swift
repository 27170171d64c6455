import Logging

extension PostgresConnection {
    /// Opens a connection, runs `body` with it and closes it on every exit path (the close is
    /// awaited, also when `body` throws), so a short-lived connection never outlives its scope.
    public static func withConnection<T: Sendable>(
        configuration: PostgresConfiguration,
        logger: Logger = Logger(label: "choreo.postgres"),
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await connect(configuration: configuration, logger: logger)
        let result: T
        do {
            result = try await body(connection)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        return result
    }
}
