import Foundation

/// How to reach a PostgreSQL database, and how long anything may take there.
///
/// Built from a `postgres://` / `postgresql://` URL or a libpq keyword string
/// (`host=… dbname=…`), see `init(url:)`. `description` never shows the password, and no
/// error about a configuration ever echoes a value from it.
///
/// No call can block forever with the defaults: connecting is bounded by `connectTimeout`,
/// a silent network by `keepalives` and `tcpUserTimeout` (on both ends of the session), and
/// relay and consumer work additionally by `withWorkTimeouts()` (statement, lock and
/// response timeouts). `PostgresConnection.close()` cancels a statement still running.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    public var host: String?
    public var port: Int?
    public var user: String?
    /// Never logged or printed.
    public var password: String?
    /// The database name.
    public var database: String?
    /// Other libpq connection parameters (`sslmode`…); they override the fields. An
    /// `options` entry (server settings, `-c search_path=app`) is kept and sent together
    /// with Choreo's own settings (`PostgresServerOptions`), never instead of them.
    public var parameters: [String: String] = [:]
    /// How long a connection attempt may take, TCP and TLS handshake and authentication
    /// included (libpq `connect_timeout`, whole seconds; default 5 s: a healthy server
    /// answers in milliseconds, and a caller retrying with backoff learns of an outage
    /// quickly instead of hanging on a host that drops packets).
    public var connectTimeout: Duration = .seconds(5)
    /// TCP keepalives on both ends of every connection (default 10 s idle, 2 s interval,
    /// 3 probes: a silent peer is found dead after 16 s). `nil` turns them off (libpq
    /// `keepalives=0`; the server keeps its own defaults).
    public var keepalives: PostgresKeepalives? = .default
    /// How long sent data may stay unacknowledged before the kernel drops the connection
    /// (`TCP_USER_TIMEOUT`: libpq `tcp_user_timeout` on the client, the `tcp_user_timeout`
    /// setting on the server; default 10 s). It ends a statement sent into a network that
    /// silently dropped, where keepalives do not apply because the socket is not idle.
    /// `nil` leaves the kernel's default (about 15 minutes of retransmissions).
    public var tcpUserTimeout: Duration? = .seconds(10)
    /// The server cancels a statement running longer (`statement_timeout`; SQLSTATE 57014,
    /// retriable). `nil`: the server's setting. Relay and consumer connections use 30 s
    /// (`withWorkTimeouts()`).
    public var statementTimeout: Duration?
    /// The server gives up waiting for a lock after this long (`lock_timeout`; SQLSTATE
    /// 55P03, retriable). `nil`: the server's setting. Relay and consumer connections use
    /// 5 s (`withWorkTimeouts()`).
    public var lockTimeout: Duration?
    /// The client gives up on a call (a statement, a commit) whose reply takes longer: it
    /// cancels the statement (`PQcancel`), shuts the socket and fails the call with
    /// `.connectionClosed` (retriable); the connection is unusable afterwards. This is
    /// what catches a server or a middlebox that hangs with the TCP connection healthy
    /// (keepalives are answered, data is acknowledged, nothing comes back), which no
    /// server-side timeout and no TCP option can notice. `nil`: no limit.
    /// `withWorkTimeouts()` sets it to the statement timeout plus 5 s.
    public var responseTimeout: Duration?
    /// `application_name` reported to the server (default `choreo`).
    public var applicationName: String = "choreo"

    public init(
        host: String? = nil, port: Int? = nil, user: String? = nil, password: String? = nil, database: String? = nil
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// The statement timeout relay and consumer work runs with unless configured: a
    /// relay statement reads or deletes one bounded batch, a consumer statement is one
    /// handler step; 30 s is far above either and still ends a runaway statement.
    public static let workStatementTimeout: Duration = .seconds(30)
    /// The lock timeout relay and consumer work runs with unless configured: a row lock
    /// held longer than 5 s is an outage or a stuck transaction elsewhere; the batch is
    /// retried with backoff instead of piling up waiters.
    public static let workLockTimeout: Duration = .seconds(5)

    /// This configuration with the timeouts for relay and consumer work filled in where
    /// not set: `statementTimeout` 30 s, `lockTimeout` 5 s, and `responseTimeout` the
    /// statement timeout plus 5 s (the server reports its own timeout first when it can).
    /// When the URL's `options` set `statement_timeout` themselves, no response timeout
    /// is derived (it could cut a statement those options allow).
    public func withWorkTimeouts() -> PostgresConfiguration {
        var configuration = self
        let ownStatementTimeout = parameters["options"]?.contains("statement_timeout") == true
        let statement = statementTimeout ?? Self.workStatementTimeout
        if statementTimeout == nil, !ownStatementTimeout { configuration.statementTimeout = statement }
        if lockTimeout == nil { configuration.lockTimeout = Self.workLockTimeout }
        if responseTimeout == nil, !ownStatementTimeout { configuration.responseTimeout = statement + .seconds(5) }
        return configuration
    }

    /// The server settings sent as the `options` startup parameter.
    var serverOptions: PostgresServerOptions {
        var options = PostgresServerOptions(passedThrough: parameters["options"])
        if let statementTimeout {
            options.defaults.append(("statement_timeout", "\(PostgresServerOptions.milliseconds(statementTimeout))"))
        }
        if let lockTimeout {
            options.defaults.append(("lock_timeout", "\(PostgresServerOptions.milliseconds(lockTimeout))"))
        }
        if let keepalives {
            options.defaults += [
                ("tcp_keepalives_idle", "\(PostgresServerOptions.seconds(keepalives.idle))"),
                ("tcp_keepalives_interval", "\(PostgresServerOptions.seconds(keepalives.interval))"),
                ("tcp_keepalives_count", "\(max(1, keepalives.count))"),
            ]
        }
        if let tcpUserTimeout {
            options.defaults.append(("tcp_user_timeout", "\(PostgresServerOptions.milliseconds(tcpUserTimeout))"))
        }
        return options
    }

    /// Keyword/value pairs for `PQconnectdbParams`.
    var libpqParameters: [(String, String)] {
        var pairs: [(String, String)] = []
        if let host { pairs.append(("host", host)) }
        if let port { pairs.append(("port", String(port))) }
        if let user { pairs.append(("user", user)) }
        if let password { pairs.append(("password", password)) }
        if let database { pairs.append(("dbname", database)) }
        pairs.append(("connect_timeout", String(PostgresServerOptions.seconds(connectTimeout))))
        pairs.append(("application_name", applicationName))
        if let keepalives {
            pairs += [
                ("keepalives", "1"),
                ("keepalives_idle", String(PostgresServerOptions.seconds(keepalives.idle))),
                ("keepalives_interval", String(PostgresServerOptions.seconds(keepalives.interval))),
                ("keepalives_count", String(max(1, keepalives.count))),
            ]
        } else {
            pairs.append(("keepalives", "0"))
        }
        if let tcpUserTimeout {
            pairs.append(("tcp_user_timeout", String(PostgresServerOptions.milliseconds(tcpUserTimeout))))
        }
        pairs.append(("options", serverOptions.text))
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) where key != "options" {
            pairs.append((key, value))
        }
        return pairs
    }

    /// Where it connects, for messages: `user@host:port/database`, no password.
    public var description: String {
        "\(user.map { "\($0)@" } ?? "")\(host ?? "localhost"):\(port ?? 5432)/\(database ?? user ?? "")"
    }
}
