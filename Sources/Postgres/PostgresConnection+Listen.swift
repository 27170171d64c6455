import CLibPQ
import Foundation

extension PostgresConnection {
    /// Starts `LISTEN channel` and returns its notifications.
    ///
    /// The connection's queue waits on the socket (`poll`, 50 ms at a time, no busy loop)
    /// between other calls on this connection, so queries still run, delayed by at most
    /// that slice. Use a dedicated connection for listening in latency-sensitive code.
    public func listen(_ channel: String) async throws -> PostgresNotifications {
        try await simpleQuery("LISTEN \(Self.quoteIdentifier(channel))")
        let (stream, continuation) = AsyncThrowingStream<PostgresNotification, any Error>.makeStream()
        let id = UUID()
        state.withLock { $0.listeners[id] = Listener(channel: channel, continuation: continuation) }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            let remaining = self.state.withLock { state -> Bool in
                state.listeners[id] = nil
                return state.listeners.values.contains { $0.channel == channel }
            }
            if !remaining {
                self.queue.async {
                    guard let connection = self.handle.connection, !self.isClosed else { return }
                    PQclear(PQexec(connection, "UNLISTEN \(Self.quoteIdentifier(channel))"))
                }
            }
        }
        startPumping()
        return PostgresNotifications(stream: stream)
    }

    /// `"name"` with embedded quotes doubled.
    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private func startPumping() {
        let start = state.withLock { state -> Bool in
            guard !state.pumping else { return false }
            state.pumping = true
            return true
        }
        if start { queue.async { self.pump() } }
    }

    /// One slice of waiting for notifications, on the queue; re-enqueues itself while
    /// anyone listens, so other calls interleave.
    private func pump() {
        let active = state.withLock { state -> Bool in
            let active = !state.listeners.isEmpty && !state.closed
            if !active { state.pumping = false }
            return active
        }
        guard active, let connection = handle.connection else { return }
        let socket = PQsocket(connection)
        if socket >= 0 {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, 50)
        }
        if PQconsumeInput(connection) == 0 || PQstatus(connection) != CONNECTION_OK {
            markClosed(
                error: PostgresError(
                    code: .connectionClosed,
                    message: "lost the connection to \(endpoint): \(Self.lastError(connection))"))
            state.withLock { $0.pumping = false }
            return
        }
        while let notification = PQnotifies(connection) {
            let channel = String(cString: notification.pointee.relname)
            let payload = String(cString: notification.pointee.extra)
            let pid = notification.pointee.be_pid
            PQfreemem(notification)
            let targets = state.withLock { state in state.listeners.values.filter { $0.channel == channel } }
            for target in targets {
                target.continuation.yield(PostgresNotification(channel: channel, payload: payload, pid: pid))
            }
        }
        queue.async { self.pump() }
    }
}
