/// A `NOTIFY` received on a channel this connection listens to.
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var pid: Int32
}

/// The notifications of one `listen(_:)`, as an async sequence. It ends (throwing
/// `PostgresError.connectionClosed`) when the connection breaks, and ends normally when the
/// connection is closed. Ending the iteration stops listening.
public struct PostgresNotifications: AsyncSequence, Sendable {
    public typealias Element = PostgresNotification
    let stream: AsyncThrowingStream<PostgresNotification, any Error>

    public func makeAsyncIterator() -> AsyncThrowingStream<PostgresNotification, any Error>.AsyncIterator {
        stream.makeAsyncIterator()
    }
}
