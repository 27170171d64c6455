import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The operations HTTP endpoint of a long-running process, run as one `Service` of its
/// `ServiceGroup`:
/// - `GET /metrics`: every metric in the Prometheus text format;
/// - `GET /health/live`: 200 while the process serves requests;
/// - `GET /health/ready`: 200 when every readiness check passes, else 503; the body is one
///   JSON object naming each check.
///
/// Operations traffic only: services never call each other through it.
public struct OperationsServer: Service {
    public let host: String
    public let port: Int
    private let checks: [ReadinessCheck]
    private let logger: Logger

    public init(host: String = "127.0.0.1", port: Int, checks: [ReadinessCheck], logger: Logger) {
        self.host = host
        self.port = port
        self.checks = checks
        self.logger = logger
        OperationsMetrics.bootstrap()
    }

    public func run() async throws {
        let checks = self.checks
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: OperationsMetrics.exposition())))
        }
        router.get("/health/live") { _, _ -> Response in
            Self.json(.ok, #"{"live":true}"#)
        }
        router.get("/health/ready") { _, _ -> Response in
            let report = await Self.readiness(checks)
            return Self.json(report.ready ? .ok : .serviceUnavailable, report.json)
        }
        let logger = self.logger
        let host = self.host
        let configured = self.port
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                // With port 0 the system picks one: log the port actually bound.
                logger.info(
                    "operations endpoint listening",
                    metadata: ["host": "\(host)", "port": "\(channel.localAddress?.port ?? configured)"])
            }, logger: logger)
        try await app.run()
    }

    /// Runs every check concurrently.
    public static func readiness(_ checks: [ReadinessCheck]) async -> ReadinessReport {
        await withTaskGroup(of: (String, ReadinessCheck.Result).self) { group in
            for check in checks { group.addTask { (check.name, await check.probe()) } }
            var results: [(String, ReadinessCheck.Result)] = []
            for await result in group { results.append(result) }
            return ReadinessReport(results: results.sorted { $0.0 < $1.0 })
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body + "\n")))
    }
}
