import Consumers
import Operations
import Outbox
import Postgres

/// The readiness checks of choreo's long-running commands.
extension ReadinessCheck {
    /// Each database answers `SELECT 1` within a short, bounded probe (connect and reply
    /// limited to 2 s each), so a black-holed network makes the check fail, not hang.
    static func databases(_ databases: [PostgresConfiguration]) -> ReadinessCheck {
        ReadinessCheck(name: "database") {
            for database in databases {
                var probe = database
                probe.connectTimeout = .seconds(2)
                probe.responseTimeout = .seconds(2)
                probe.applicationName = "choreo-readiness"
                let unreachable = ReadinessCheck.Result(
                    ready: false, detail: "\(database.database ?? "database") unreachable")
                guard let connection = try? await PostgresConnection.connect(configuration: probe) else {
                    return unreachable
                }
                let answered = (try? await connection.query("SELECT 1")) != nil
                await connection.close()
                if !answered { return unreachable }
            }
            return .init(ready: true)
        }
    }

    /// Every consumer instance has joined its group (with partitions, or legitimately none).
    static func consumers(_ runtimes: [ConsumerRuntime]) -> ReadinessCheck {
        ReadinessCheck(name: "consumers") {
            let waiting = runtimes.filter { !$0.hasJoinedGroup }.map(\.configuration.group)
            guard waiting.isEmpty else {
                return .init(ready: false, detail: "not joined: \(Set(waiting).sorted().joined(separator: ","))")
            }
            return .init(ready: true)
        }
    }

    /// Every relay is active or a healthy standby.
    static func relays(_ relays: [OutboxRelay]) -> ReadinessCheck {
        ReadinessCheck(name: "relay") {
            let states = relays.map(\.readiness)
            guard states.allSatisfy(\.ready) else {
                return .init(ready: false, detail: states.filter { !$0.ready }.map(\.state).joined(separator: ","))
            }
            return .init(ready: true, detail: states.map(\.state).joined(separator: ","))
        }
    }
}
