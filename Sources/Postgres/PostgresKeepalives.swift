/// TCP keepalive probing of a PostgreSQL connection, applied on both ends: by libpq on the
/// client's socket (`keepalives_idle`, `keepalives_interval`, `keepalives_count`) and, as
/// server options, on the server's socket of the same session (`tcp_keepalives_idle`,
/// `tcp_keepalives_interval`, `tcp_keepalives_count`).
///
/// Why both ends: when the network between them breaks silently (a partition, a dead NAT
/// entry, a host that vanished), neither side gets a reset. The client then waits forever
/// for a reply; the server keeps the session, its open transaction and its locks (the
/// relay's advisory lock too) for the kernel default of two hours. With these defaults a
/// silent peer is found dead after `idle + interval × count` = 10 + 2 × 3 = 16 s of silence.
/// Probes are tiny and only sent on idle connections. Unix-domain sockets ignore them.
public struct PostgresKeepalives: Sendable, Hashable {
    /// Silence before the first probe (default 10 s; the kernel default is 2 h).
    public var idle: Duration
    /// Between unanswered probes (default 2 s).
    public var interval: Duration
    /// Unanswered probes before the connection is declared dead (default 3).
    public var count: Int

    public init(idle: Duration = .seconds(10), interval: Duration = .seconds(2), count: Int = 3) {
        self.idle = idle
        self.interval = interval
        self.count = count
    }

    /// 10 s idle, 2 s interval, 3 probes: a silent peer is dead after 16 s.
    public static let `default` = PostgresKeepalives()
}
