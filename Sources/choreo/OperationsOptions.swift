import ArgumentParser
import Foundation
import Logging
import Operations
import ServiceLifecycle

/// The operations endpoint of a long-running command: `--ops-port` (env `CHOREO_OPS_PORT`;
/// off when neither is given) and `--ops-host` (env `CHOREO_OPS_HOST`; default 127.0.0.1).
struct OperationsOptions: ParsableArguments {
    @Option(
        help: "Serve GET /metrics, /health/live and /health/ready on this port (env CHOREO_OPS_PORT; default: off).")
    var opsPort: Int?

    @Option(help: "Address the operations endpoint binds to (env CHOREO_OPS_HOST; default 127.0.0.1).")
    var opsHost: String?

    func validate() throws {
        if let opsPort, !(0...65_535).contains(opsPort) { throw ValidationError("--ops-port must be 0…65535") }
    }

    /// The port given or configured, if any.
    func port(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int? {
        if let opsPort { return opsPort }
        guard let text = environment["CHOREO_OPS_PORT"], !text.isEmpty else { return nil }
        guard let port = Int(text), (0...65_535).contains(port) else {
            throw ValidationError("CHOREO_OPS_PORT must be a port number 0…65535")
        }
        return port
    }

    func host(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        opsHost ?? environment["CHOREO_OPS_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
    }

    /// Bootstraps the metrics system: call it before creating relays and consumers, whose
    /// instruments bind to the factory in place when they are created.
    func bootstrapMetrics() { OperationsMetrics.bootstrap() }

    /// The endpoint as a service to run first in the process's group (so it stops last), or
    /// nothing when no port is configured.
    func services(checks: [ReadinessCheck], logger: Logger) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        OperationsMetrics.bootstrap()
        guard let port = try port() else { return [] }
        var logger = logger
        logger[metadataKey: "component"] = "operations"
        return [.init(service: OperationsServer(host: host(), port: port, checks: checks, logger: logger))]
    }
}
