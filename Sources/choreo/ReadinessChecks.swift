import Consumers
import DeadLetters
import Foundation
import Operations
import Outbox
import Postgres

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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

    /// The dead-letter worker has joined its Kafka group.
    static func deadLetterWorker(_ worker: DeadLetterWorker) -> ReadinessCheck {
        ReadinessCheck(name: "consumers") {
            worker.hasJoinedGroup
                ? .init(ready: true)
                : .init(ready: false, detail: "not joined: \(worker.configuration.consumerGroupID)")
        }
    }

    /// Each child process's operations endpoint (`http://127.0.0.1:<port>/health/ready`)
    /// answers 200; a child that does not answer yet (starting) is not ready.
    static func children(_ ports: [(name: String, port: Int)]) -> ReadinessCheck {
        ReadinessCheck(name: "children") {
            var waiting: [String] = []
            for (name, port) in ports {
                guard let url = URL(string: "http://127.0.0.1:\(port)/health/ready") else { continue }
                var request = URLRequest(url: url)
                request.timeoutInterval = 2
                let status = try? await (URLSession.shared.data(for: request).1 as? HTTPURLResponse)?.statusCode
                if status != 200 { waiting.append(name) }
            }
            return waiting.isEmpty ? .init(ready: true) : .init(ready: false, detail: waiting.joined(separator: ","))
        }
    }
}
