import Foundation

/// How to reach a PostgreSQL database.
///
/// Built from a `postgres://` / `postgresql://` URL or a libpq keyword string
/// (`host=… dbname=…`). `description` never shows the password.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    public var host: String?
    public var port: Int?
    public var user: String?
    /// Never logged or printed.
    public var password: String?
    /// The database name.
    public var database: String?
    /// Other libpq connection parameters (`sslmode`, `options`…); they override the fields.
    public var parameters: [String: String] = [:]
    /// How long a connection attempt may take (libpq `connect_timeout`; default 5 s).
    public var connectTimeout: Duration = .seconds(5)
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

    /// Parses a URL (`postgresql://user:password@host:5432/db?sslmode=disable`) or a libpq
    /// keyword string (`host=localhost dbname=db user=u`).
    /// - Throws: `PostgresError.configuration` naming what is wrong (never the password).
    public init(url: String) throws {
        let trimmed = url.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            try self.init(parsingURL: trimmed)
        } else if trimmed.contains("=") {
            try self.init(parsingKeywords: trimmed)
        } else {
            throw PostgresError(
                code: .configuration,
                message:
                    "a database URL must start with postgresql:// or postgres://, or be a libpq keyword string like 'host=… dbname=…'"
            )
        }
    }

    private init(parsingURL text: String) throws {
        guard let components = URLComponents(string: text) else {
            throw PostgresError(
                code: .configuration,
                message:
                    "the database URL is malformed (check the characters in the user and password: percent-encode @ : / ?)"
            )
        }
        self.init()
        host = components.host.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding ?? $0 }
        port = components.port
        user = components.user.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding ?? $0 }
        password = components.password.flatMap { $0.removingPercentEncoding ?? $0 }
        let path = components.path.drop { $0 == "/" }
        database = path.isEmpty ? nil : (String(path).removingPercentEncoding ?? String(path))
        for item in components.queryItems ?? [] {
            guard let value = item.value else { continue }
            switch item.name {
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else {
                    throw PostgresError(
                        code: .configuration, message: "connect_timeout must be a positive number of seconds")
                }
                connectTimeout = .seconds(seconds)
            case "application_name": applicationName = value
            default: parameters[item.name] = value
            }
        }
    }

    private init(parsingKeywords text: String) throws {
        self.init()
        var rest = Substring(text)
        while true {
            rest = rest.drop { $0 == " " }
            guard !rest.isEmpty else { break }
            guard let equals = rest.firstIndex(of: "=") else {
                throw PostgresError(
                    code: .configuration,
                    message:
                        "expected key=value in the connection string near '\(rest.prefix(20).split(separator: " ").first ?? "")'"
                )
            }
            let key = String(rest[..<equals]).trimmingCharacters(in: .whitespaces)
            rest = rest[rest.index(after: equals)...].drop { $0 == " " }
            var value = ""
            if rest.first == "'" {
                rest = rest.dropFirst()
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\\", let next = rest.first {
                        value.append(next)
                        rest = rest.dropFirst()
                    } else if character == "'" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else {
                    throw PostgresError(code: .configuration, message: "unterminated quote in the value of \(key)")
                }
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                value = String(rest[..<end])
                rest = rest[end...]
            }
            switch key {
            case "host", "hostaddr": host = value
            case "port":
                guard let number = Int(value) else {
                    throw PostgresError(code: .configuration, message: "port must be a number")
                }
                port = number
            case "user": user = value
            case "password": password = value
            case "dbname": database = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else {
                    throw PostgresError(
                        code: .configuration, message: "connect_timeout must be a positive number of seconds")
                }
                connectTimeout = .seconds(seconds)
            case "application_name": applicationName = value
            default: parameters[key] = value
            }
        }
    }

    /// Keyword/value pairs for `PQconnectdbParams`.
    var libpqParameters: [(String, String)] {
        var pairs: [(String, String)] = []
        if let host { pairs.append(("host", host)) }
        if let port { pairs.append(("port", String(port))) }
        if let user { pairs.append(("user", user)) }
        if let password { pairs.append(("password", password)) }
        if let database { pairs.append(("dbname", database)) }
        pairs.append(("connect_timeout", String(max(1, connectTimeout.components.seconds))))
        pairs.append(("application_name", applicationName))
        // Text results in a fixed, parseable form regardless of server settings.
        pairs.append(("options", "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=iso_8601 -c extra_float_digits=3"))
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) { pairs.append((key, value)) }
        return pairs
    }

    /// Where it connects, for messages: `user@host:port/database`, no password.
    public var description: String {
        "\(user.map { "\($0)@" } ?? "")\(host ?? "localhost"):\(port ?? 5432)/\(database ?? user ?? "")"
    }
}
