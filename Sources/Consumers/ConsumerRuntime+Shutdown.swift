import Postgres

extension ConsumerRuntime {
    /// After a stop request, waits `shutdownGracePeriod` and then closes the database
    /// connection in use, so that a statement stuck on a hung database fails (as a
    /// transient failure, which a stopping runtime does not retry) and `run()` returns.
    /// Returns when cancelled (the runtime stopped in time).
    func closeConnectionAfterGrace() async {
        do {
            while !isStopping { try await Task.sleep(for: .milliseconds(50)) }
            try await Task.sleep(for: configuration.shutdownGracePeriod)
        } catch {
            return
        }
        guard let connection = currentConnection.withLock({ $0 }) else { return }
        logger.warning(
            "the batch in progress did not finish within the shutdown grace period; closing the database connection",
            metadata: ["group": "\(configuration.group)"])
        await connection.close()
    }
}
