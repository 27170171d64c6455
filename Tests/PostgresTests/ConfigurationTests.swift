import ChoreoTestSupport
import Foundation
import Postgres
import Testing

/// Connection settings: timeouts and keepalives are typed, parsed from URLs and keyword
/// strings, and reach the server; a URL's own server options and Choreo's are both kept;
/// no configuration error ever echoes a password.
@Suite("Configuration")
struct ConfigurationTests {
    @Test("defaults: 5 s connect, keepalives 10 s / 2 s / 3, tcp_user_timeout 10 s, no statement timeout")
    func defaults() throws {
        let configuration = try PostgresConfiguration(url: "postgresql://u@h/db")
        #expect(configuration.connectTimeout == .seconds(5))
        #expect(configuration.keepalives == PostgresKeepalives(idle: .seconds(10), interval: .seconds(2), count: 3))
        #expect(configuration.tcpUserTimeout == .seconds(10))
        #expect(configuration.statementTimeout == nil && configuration.lockTimeout == nil)
        #expect(configuration.responseTimeout == nil)
        let work = configuration.withWorkTimeouts()
        #expect(work.statementTimeout == .seconds(30) && work.lockTimeout == .seconds(5))
        #expect(work.responseTimeout == .seconds(35))
        var custom = configuration
        custom.statementTimeout = .seconds(2)
        custom.lockTimeout = .milliseconds(300)
        #expect(custom.withWorkTimeouts().statementTimeout == .seconds(2))
        #expect(custom.withWorkTimeouts().lockTimeout == .milliseconds(300))
        #expect(custom.withWorkTimeouts().responseTimeout == .seconds(7))
        let ownTimeout = try PostgresConfiguration(url: "postgresql://u@h/db?options=-c%20statement_timeout%3D0")
        #expect(ownTimeout.withWorkTimeouts().statementTimeout == nil)
        #expect(ownTimeout.withWorkTimeouts().responseTimeout == nil)
        #expect(ownTimeout.withWorkTimeouts().lockTimeout == .seconds(5))
    }

    @Test("keepalive and TCP keys parse from a URL and from a keyword string")
    func keepaliveKeysParse() throws {
        let url = try PostgresConfiguration(
            url:
                "postgresql://u@h/db?keepalives_idle=30&keepalives_interval=5&keepalives_count=4&tcp_user_timeout=20000&connect_timeout=2"
        )
        #expect(url.keepalives == PostgresKeepalives(idle: .seconds(30), interval: .seconds(5), count: 4))
        #expect(url.tcpUserTimeout == .milliseconds(20000))
        #expect(url.connectTimeout == .seconds(2))
        #expect(url.parameters.isEmpty)
        let keywords = try PostgresConfiguration(url: "host=h dbname=db keepalives=0 tcp_user_timeout=0")
        #expect(keywords.keepalives == nil)
        #expect(keywords.tcpUserTimeout == nil)
        for bad in ["keepalives_idle=0", "keepalives_count=x", "tcp_user_timeout=-1", "keepalives=yes"] {
            let error = postgresErrorSync { _ = try PostgresConfiguration(url: "host=h \(bad)") }
            #expect(error?.code == .configuration, "\(bad)")
        }
    }

    @Test("a keyword string `password=a b` and other malformed strings never echo the password")
    func passwordNeverEchoed() {
        let secrets = ["Secret-One", "Secret-Two"]
        let strings = [
            "host=localhost password=Secret-One Secret-Two",
            "host=localhost password=Secret-One Secret-Two=x",
            "host=localhost password=Secret-One Secret-Two dbname=x",
            "password='Secret-One Secret-Two' port=Secret-Two",
            "password='Secret-One Secret-Two",
            "password=Secret-One keepalives_idle=Secret-Two",
            "postgresql://u:Secret-One@h/db?Secret-Two=1",
            "postgresql://u:Secret-One@h/db?connect_timeout=Secret-Two",
            "postgresql://u:Secret-One@h:Secret-Two/db",
        ]
        for string in strings {
            let error = postgresErrorSync { _ = try PostgresConfiguration(url: string) }
            #expect(error?.code == .configuration, "\(string)")
            for secret in secrets {
                #expect(error.map { !"\($0)".contains(secret) && !$0.message.contains(secret) } == true, "\(string)")
            }
        }
        let quoted = try? PostgresConfiguration(url: "host=h password='Secret-One Secret-Two'")
        #expect(quoted?.password == "Secret-One Secret-Two")
        #expect(quoted.map { !"\($0)".contains("Secret") } == true)
        let spaced = try? PostgresConfiguration(url: "postgresql://u:Secret-One Secret-Two@h/db")
        #expect(spaced?.password == "Secret-One Secret-Two")
        #expect(spaced.map { !"\($0)".contains("Secret") } == true)
    }

    @Test("a URL's options and Choreo's server settings are both applied; Choreo's decoding settings win")
    func serverOptionsMerge() async throws {
        let base = try testConfiguration()
        var configuration = base
        configuration.parameters["options"] = "-c search_path=choreo_custom,public -c TimeZone=Europe/Paris"
        configuration.statementTimeout = .milliseconds(2500)
        configuration.lockTimeout = .milliseconds(700)
        try await withConnection(configuration) { connection async throws in
            #expect(try await show("search_path", on: connection) == "choreo_custom,public")
            #expect(try await show("TimeZone", on: connection) == "UTC")
            #expect(try await show("DateStyle", on: connection) == "ISO, MDY")
            #expect(try await show("statement_timeout", on: connection) == "2500ms")
            #expect(try await show("lock_timeout", on: connection) == "700ms")
            if base.host?.hasPrefix("/") != true {
                #expect(try await show("tcp_keepalives_idle", on: connection) == "10")
                #expect(try await show("tcp_keepalives_interval", on: connection) == "2")
                #expect(try await show("tcp_keepalives_count", on: connection) == "3")
                #expect(try await show("tcp_user_timeout", on: connection) == "10000")
            }
        }
        // And the URL's own options may override Choreo's defaults (not its decoding settings).
        var url = URLComponents(string: databaseURL(of: base))
        url?.queryItems = [URLQueryItem(name: "options", value: "-c statement_timeout=0 -c application_name=mine")]
        let overriding = try PostgresConfiguration(url: try #require(url?.string)).withWorkTimeouts()
        try await withConnection(overriding) { connection async throws in
            #expect(try await show("statement_timeout", on: connection) == "0")
            #expect(try await show("lock_timeout", on: connection) == "5s")
            #expect(try await show("TimeZone", on: connection) == "UTC")
        }
        let percentEncoded = try PostgresConfiguration(url: databaseURL(of: base) + "?options=-c%20search_path%3Dx")
        try await withConnection(percentEncoded.withWorkTimeouts()) { connection async throws in
            #expect(try await show("search_path", on: connection) == "x")
            #expect(try await show("statement_timeout", on: connection) == "30s")
            #expect(try await show("IntervalStyle", on: connection) == "iso_8601")
        }
    }

    private func show(_ setting: String, on connection: PostgresConnection) async throws -> String {
        let rows = try await connection.query("SELECT current_setting(\(setting))")
        return try #require(rows.first).decode(String.self, column: 0)
    }
}

/// The `PostgresError` a synchronous `body` throws; `nil` when it throws nothing or something else.
func postgresErrorSync(_ body: () throws -> Void) -> PostgresError? {
    do {
        try body()
        return nil
    } catch let error as PostgresError {
        return error
    } catch {
        return nil
    }
}
