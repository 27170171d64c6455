import Foundation

/// Settings shared by every Kafka client (producer, consumer, admin).
///
/// Each property documents the librdkafka key it sets. `rawProperties` is applied last and
/// overrides anything typed. librdkafka validates everything when a client is created: a
/// rejected property surfaces as ``KafkaError/Code/configuration`` naming the key (never the value).
/// `description` never prints the SASL password or raw property values.
public struct KafkaConfiguration: Sendable, CustomStringConvertible {
    /// The wire security protocol (`security.protocol`). Open enum: use the static members.
    public struct SecurityProtocol: Hashable, Sendable {
        /// The librdkafka spelling.
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let plaintext = SecurityProtocol(rawValue: "plaintext")
        public static let ssl = SecurityProtocol(rawValue: "ssl")
        public static let saslPlaintext = SecurityProtocol(rawValue: "sasl_plaintext")
        public static let saslSSL = SecurityProtocol(rawValue: "sasl_ssl")
    }

    /// SASL credentials (`sasl.mechanisms`, `sasl.username`, `sasl.password`).
    public struct SASL: Sendable, CustomStringConvertible {
        /// `sasl.mechanisms`, e.g. `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`.
        public var mechanism: String
        public var username: String
        /// Never printed or logged.
        public var password: String
        public init(mechanism: String, username: String, password: String) {
            self.mechanism = mechanism
            self.username = username
            self.password = password
        }
        public var description: String { "SASL(\(mechanism), user: \(username), password: <redacted>)" }
    }

    /// TLS files (`ssl.ca.location`, `ssl.certificate.location`, `ssl.key.location`, `ssl.key.password`).
    public struct TLS: Sendable {
        public var caLocation: String?
        public var certificateLocation: String?
        public var keyLocation: String?
        /// Never printed or logged.
        public var keyPassword: String?
        public init(
            caLocation: String? = nil, certificateLocation: String? = nil, keyLocation: String? = nil,
            keyPassword: String? = nil
        ) {
            self.caLocation = caLocation
            self.certificateLocation = certificateLocation
            self.keyLocation = keyLocation
            self.keyPassword = keyPassword
        }
    }

    /// `bootstrap.servers`, as `host:port` entries.
    public var bootstrapServers: [String]
    /// `client.id`. Default `choreo`.
    public var clientID: String = "choreo"
    /// `security.protocol`. Default `.plaintext`.
    public var securityProtocol: SecurityProtocol = .plaintext
    /// SASL settings; `nil` sets nothing.
    public var sasl: SASL?
    /// TLS settings; `nil` sets nothing.
    public var tls: TLS?
    /// `socket.timeout.ms`. `nil` keeps librdkafka's default (60 s).
    public var socketTimeout: Duration?
    /// `reconnect.backoff.max.ms`. `nil` keeps librdkafka's default (10 s).
    public var reconnectBackoffMax: Duration?
    /// Extra librdkafka properties applied last; they override every typed setting.
    public var rawProperties: [String: String] = [:]

    /// A configuration for the given `host:port` servers.
    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }

    /// A configuration for a comma-separated `host:port` list (as librdkafka and kcat spell it).
    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers.split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// The librdkafka properties this configuration sets (secrets included; never log this).
    func properties() -> [String: String] {
        var p: [String: String] = [
            "bootstrap.servers": bootstrapServers.joined(separator: ","),
            "client.id": clientID,
            "security.protocol": securityProtocol.rawValue,
        ]
        if let sasl {
            p["sasl.mechanisms"] = sasl.mechanism
            p["sasl.username"] = sasl.username
            p["sasl.password"] = sasl.password
        }
        if let tls {
            p["ssl.ca.location"] = tls.caLocation
            p["ssl.certificate.location"] = tls.certificateLocation
            p["ssl.key.location"] = tls.keyLocation
            p["ssl.key.password"] = tls.keyPassword
        }
        if let socketTimeout { p["socket.timeout.ms"] = String(socketTimeout.milliseconds) }
        if let reconnectBackoffMax { p["reconnect.backoff.max.ms"] = String(reconnectBackoffMax.milliseconds) }
        return p
    }

    /// The bootstrap list as printed in errors (host:port only, credentials never part of it).
    var bootstrapDescription: String { bootstrapServers.joined(separator: ",") }

    public var description: String {
        var parts = [
            "bootstrap: \(bootstrapDescription)", "client.id: \(clientID)", "security: \(securityProtocol.rawValue)",
        ]
        if let sasl { parts.append(sasl.description) }
        if !rawProperties.isEmpty { parts.append("raw keys: \(rawProperties.keys.sorted())") }
        return "KafkaConfiguration(\(parts.joined(separator: ", ")))"
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, saturating at `Int.max`.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        if ms.overflow { return seconds < 0 ? Int(Int64.min) : Int(Int64.max) }
        return Int(ms.partialValue + attoseconds / 1_000_000_000_000_000)
    }

    /// Milliseconds as an `Int32` for librdkafka timeouts, clamped to `0...Int32.max`.
    var timeoutMilliseconds: Int32 { Int32(clamping: max(0, milliseconds)) }
}
