/// A `NOTIFY` received on a channel this connection listens to.
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var pid: Int32
}

/// The notifications of one `listen(_:)`, as an async sequence. It ends (throwing
/// `PostgresError.connectionClosed`) when the connection breaks, and ends normally when the
/// connection is closed. Listening stops (`UNLISTEN`, unless another stream on the
/// connection uses the channel) when this sequence and its iterators are released or the
/// iterating task is cancelled — not merely when a `for` loop breaks while the sequence is
/// still held.
public struct PostgresNotifications: AsyncSequence, Sendable {
    public typealias Element = PostgresNotification
    let stream: AsyncThrowingStream<PostgresNotification, any Error>

    public func makeAsyncIterator() -> AsyncThrowingStream<PostgresNotification, any Error>.AsyncIterator {
        stream.makeAsyncIterator()
    }
}
