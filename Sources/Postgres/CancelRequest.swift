import CLibPQ
import Foundation

/// A connection's cancel key (`PGcancel`): asks the server, over a new connection, to stop
/// the statement the session runs now.
///
/// `PQcancel` is thread-safe and does not touch the `PGconn`, so it runs on a thread of its
/// own while the connection's thread is blocked in the statement. It can itself block (it
/// connects to the server and waits for it to hang up), so callers never wait for it.
final class CancelRequest: @unchecked Sendable {
    // Safe: `cancel` is set once in `init`, only read by `PQcancel` (thread-safe for a
    // shared PGcancel) and freed once in `deinit`, after every sending thread let go.
    private let cancel: OpaquePointer

    init?(connection: OpaquePointer) {
        guard let cancel = PQgetCancel(connection) else { return nil }
        self.cancel = cancel
    }

    deinit { PQfreeCancel(cancel) }

    /// Sends the cancel request from a new thread and returns at once.
    func send() {
        let thread = Thread { [self] in
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel, &buffer, Int32(buffer.count))
        }
        thread.name = "choreo.postgres.cancel"
        thread.start()
    }
}
