/// The condition given to `waitUntil` did not hold in time.
public struct WaitTimeout: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Polls `condition` every 20 ms until it holds; throws `WaitTimeout` after `timeout`.
/// For awaiting an observable effect, never as a fixed sleep.
public func waitUntil(
    timeout: Duration = .seconds(30),
    file: StaticString = #fileID,
    line: UInt = #line,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw WaitTimeout(description: "condition at \(file):\(line) did not hold within \(timeout)")
}
