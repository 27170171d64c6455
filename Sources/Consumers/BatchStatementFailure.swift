/// An error of a statement a batch layer runs itself (park, block, release), not of the
/// event's handler: the batch transaction unwraps it and handles `underlying` exactly as
/// it would a failure of its own statements — never as the event's failure. Internal: it
/// never leaves the transaction, and its description is the underlying error's.
struct BatchStatementFailure: Error, CustomStringConvertible {
    let underlying: any Error

    var description: String { "\(underlying)" }

    /// Runs `body`, wrapping what it throws.
    static func wrapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw BatchStatementFailure(underlying: error)
        }
    }
}
