import CLibPQ
import Foundation

extension PostgresConfiguration {
    /// Parses a URL (`postgresql://user:password@host:5432/db?sslmode=disable`) or a libpq
    /// keyword string (`host=localhost dbname=db user=u`, values with spaces in single
    /// quotes: `password='a b'`).
    ///
    /// Recognised besides the address: `connect_timeout` (seconds), `application_name`,
    /// `keepalives` (0 or 1), `keepalives_idle`, `keepalives_interval` (seconds),
    /// `keepalives_count`, `tcp_user_timeout` (milliseconds, 0 = the kernel's default) and
    /// `options` (kept, see `PostgresServerOptions`); anything else goes to `parameters`.
    /// - Throws: `PostgresError.configuration` naming the key that is wrong, never a value
    ///   (a value may be, or be next to, the password).
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
        var keepalivesOff = false
        for item in components.queryItems ?? [] {
            guard let value = item.value else { continue }
            try apply(key: item.name, value: value, keepalivesOff: &keepalivesOff)
        }
        if keepalivesOff { keepalives = nil }
    }

    private init(parsingKeywords text: String) throws {
        self.init()
        var rest = Substring(text)
        var previousKey: String?
        var keepalivesOff = false
        while true {
            rest = rest.drop { $0.isWhitespace }
            guard !rest.isEmpty else { break }
            guard let equals = rest.firstIndex(of: "=") else {
                // Never quote the text: after `password=a b` it is the rest of the password.
                let place = previousKey.map { "after the value of \($0)" } ?? "at the start"
                throw PostgresError(
                    code: .configuration,
                    message:
                        "expected key=value in the connection string \(place) (put values with spaces in single quotes: key='a b')"
                )
            }
            let key = String(rest[..<equals]).trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, !key.contains(where: \.isWhitespace) else {
                let place = previousKey.map { "after the value of \($0)" } ?? "at the start"
                throw PostgresError(
                    code: .configuration,
                    message:
                        "expected key=value in the connection string \(place) (put values with spaces in single quotes: key='a b')"
                )
            }
            rest = rest[rest.index(after: equals)...].drop { $0.isWhitespace }
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
                let end = rest.firstIndex(where: \.isWhitespace) ?? rest.endIndex
                value = String(rest[..<end])
                rest = rest[end...]
            }
            try apply(key: key, value: value, keepalivesOff: &keepalivesOff)
            previousKey = key
        }
        if keepalivesOff { keepalives = nil }
    }

    /// One key of a URL's query or a keyword string. Errors name the key, never the value.
    private mutating func apply(key: String, value: String, keepalivesOff: inout Bool) throws {
        func whole(_ what: String, minimum: Int) throws -> Int {
            guard let number = Int(value), number >= minimum, number <= 86_400_000 else {
                throw PostgresError(code: .configuration, message: "\(key) must be \(what)")
            }
            return number
        }
        switch key {
        case "host", "hostaddr": host = value
        case "port": port = try whole("a port number", minimum: 1)
        case "user": user = value
        case "password": password = value
        case "dbname": database = value
        case "application_name": applicationName = value
        case "connect_timeout": connectTimeout = .seconds(try whole("a positive number of seconds", minimum: 1))
        case "keepalives": keepalivesOff = try whole("0 or 1", minimum: 0) == 0
        case "keepalives_idle":
            keepalives = (keepalives ?? .default).with(
                \.idle, .seconds(try whole("a positive number of seconds", minimum: 1)))
        case "keepalives_interval":
            keepalives = (keepalives ?? .default)
                .with(\.interval, .seconds(try whole("a positive number of seconds", minimum: 1)))
        case "keepalives_count":
            keepalives = (keepalives ?? .default).with(\.count, try whole("a positive number", minimum: 1))
        case "tcp_user_timeout":
            let milliseconds = try whole("a number of milliseconds (0 for the kernel's default)", minimum: 0)
            tcpUserTimeout = milliseconds == 0 ? nil : .milliseconds(milliseconds)
        default:
            // libpq would refuse it and quote the key; after `password=a b=c` that key is
            // part of the password, so the refusal here never quotes it.
            guard Self.libpqKeywords.contains(key) else {
                throw PostgresError(
                    code: .configuration,
                    message:
                        "the connection string has an unknown parameter (check the spelling of its keys; put values with spaces in single quotes)"
                )
            }
            parameters[key] = value
        }
    }

    /// Every connection parameter this libpq knows (`PQconndefaults`).
    static let libpqKeywords: Set<String> = {
        guard let options = PQconndefaults() else { return [] }
        defer { PQconninfoFree(options) }
        var keywords: Set<String> = []
        var option = options
        while let keyword = option.pointee.keyword {
            keywords.insert(String(cString: keyword))
            option += 1
        }
        return keywords
    }()
}

extension PostgresKeepalives {
    fileprivate func with<Value>(_ field: WritableKeyPath<Self, Value>, _ value: Value) -> Self {
        var copy = self
        copy[keyPath: field] = value
        return copy
    }
}
