import ChoreoTestSupport
import Foundation
import Postgres
import Testing

/// The whole reference system as a user runs it: `choreo dev up --processes` with traffic,
/// then `choreo verify`, each service in its own process and database.
@Suite(.serialized) struct EndToEndTests {
    static let services = ["customers", "orders", "inventory", "payments", "notifications", "event-log"]

    @Test func devUpWithStockAndCreditFailuresThenVerifyPasses() async throws {
        try await withRunDatabases { environment, databases, server in
            try await run(environment: environment, databases: databases, server: server)
        }
    }

    @Test func ctrlCStopsTheTrafficAndTheServicesCleanlyAndPrintsASummary() async throws {
        try await withRunDatabases { environment, _, _ in
            let output = try OutputFiles()
            let port = try TCPProxy.freeLoopbackPort()
            let process = try launch(
                [
                    "dev", "up", "--orders-per-second", "20", "--duration", "600", "--customers", "4",
                    "--status-interval", "1", "--ops-port", "\(port)",
                ], environment: environment, output: output)
            try await waitUntil(timeout: .seconds(60)) { output.stdout.contains("orders sent") || !process.isRunning }
            // The Orders service's domain metrics, read from the operations endpoint.
            var scrape: MetricsScrape?
            try await waitUntil(timeout: .seconds(60)) {
                scrape = try? await MetricsScrape.scrape(port: port)
                return (scrape?.value("choreo_orders_confirmed_total") ?? 0) > 0
                    && (scrape?.value("choreo_orders_completion_latency_seconds_count", ["outcome": "confirmed"]) ?? 0)
                        > 0
            }
            #expect(
                (scrape?.value("choreo_orders_placed_total") ?? 0)
                    >= (scrape?.value("choreo_orders_confirmed_total") ?? 1))
            #expect((scrape?.value("choreo_relay_published_total") ?? 0) > 0)
            kill(process.processIdentifier, SIGINT)
            let deadline = ContinuousClock.now + .seconds(60)
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { process.terminate() }
            #expect(process.terminationStatus == 0, "\(output.stderr.suffix(2_000))")
            #expect(output.stdout.contains("summary (interrupted"), "\(output.stdout.suffix(2_000))")
        }
    }

    /// Runs `body` with the environment of a run whose services have databases of their
    /// own on the test server (dropped afterwards) and a temporary project root.
    func withRunDatabases(
        _ body: ([String: String], [String: String], PostgresConfiguration) async throws -> Void
    ) async throws {
        let server = try PostgresConfiguration(url: testDatabaseURL)
        let prefix = "choreo_e2e_\(UUID().uuidString.prefix(8).lowercased())"
        var environment: [String: String] = [:]
        var databases: [String: String] = [:]
        for service in Self.services {
            var database = server
            database.database = "\(prefix)_\(service.replacingOccurrences(of: "-", with: "_"))"
            databases[service] = database.database
            let key = "CHOREO_\(service.uppercased().replacingOccurrences(of: "-", with: "_"))_DATABASE_URL"
            environment[key] = ChoreoTestSupport.databaseURL(of: database)
        }
        let root = try projectCopy()
        environment["CHOREO_ROOT"] = root.path
        defer { try? FileManager.default.removeItem(at: root) }
        do {
            try await body(environment, databases, server)
        } catch {
            await drop(Array(databases.values), server: server)
            throw error
        }
        await drop(Array(databases.values), server: server)
    }

    /// Standard output and error of a child, in files rather than pipes: draining pipes
    /// would hold cooperative threads (two on this machine) that the test needs.
    final class OutputFiles {
        let directory = FileManager.default.temporaryDirectory.appending(path: "choreo-e2e-\(UUID())")
        var out: URL { directory.appending(path: "out") }
        var err: URL { directory.appending(path: "err") }

        init() throws {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        }

        var stdout: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }

        deinit { try? FileManager.default.removeItem(at: directory) }
    }

    func launch(_ arguments: [String], environment: [String: String], output: OutputFiles) throws -> Process {
        let process = Process()
        process.executableURL = try ChoreoBinary.url()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(
            environment.merging(["CHOREO_LOG_LEVEL": "error"]) { _, new in new }
        ) { _, new in new }
        process.standardOutput = try FileHandle(forWritingTo: output.out)
        process.standardError = try FileHandle(forWritingTo: output.err)
        try process.run()
        return process
    }

    private func run(environment: [String: String], databases: [String: String], server: PostgresConfiguration)
        async throws
    {
        let output = try OutputFiles()
        let process = try launch(
            [
                "dev", "up", "--processes", "--orders-per-second", "25", "--duration", "6", "--settle", "40",
                "--customers", "12", "--status-interval", "2",
            ], environment: environment, output: output)
        let deadline = ContinuousClock.now + .seconds(120)

        // While it runs: who is connected to the run's databases, as whom.
        var seen: [String: Set<String>] = [:]
        let monitor = try await PostgresConnection.connect(configuration: server)
        let names = Array(databases.values)
        while process.isRunning && ContinuousClock.now < deadline {
            let rows = try await monitor.query(
                """
                SELECT datname, application_name FROM pg_stat_activity
                WHERE datname = ANY(\(names)) AND backend_type = 'client backend'
                """)
            for row in rows {
                seen[try row.decode(String.self, column: 1), default: []].insert(try row.decode(String.self, column: 0))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        await monitor.close()
        if process.isRunning { process.terminate() }
        while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        let (stdout, stderr) = (output.stdout, output.stderr)
        #expect(process.terminationStatus == 0, "dev up failed: \(stderr.suffix(2_000))")
        #expect(stdout.contains("summary (finished"), "\(stdout.suffix(2_000))")
        for service in Self.services {
            #expect(
                seen["choreo-\(service)"] == [databases[service] ?? ""],
                "choreo-\(service) connected to \(seen["choreo-\(service)"] ?? [])")
        }
        let strangers = seen.keys.filter { !$0.hasPrefix("choreo-") }
        #expect(strangers.isEmpty, "unexpected clients: \(strangers)")

        // Orders failed for both reasons.
        var orders = server
        orders.database = databases["orders"]
        let connection = try await PostgresConnection.connect(configuration: orders)
        let reasons = try await connection.query(
            "SELECT cancel_reason, count(*) FROM orders WHERE status = 'cancelled' GROUP BY 1")
        let byReason = Dictionary(
            uniqueKeysWithValues: try reasons.map {
                (try $0.decode(String.self, column: 0), try $0.decode(Int.self, column: 1))
            })
        let confirmed = try await connection.query("SELECT count(*) FROM orders WHERE status = 'confirmed'")
        await connection.close()
        #expect((byReason["insufficient-stock"] ?? 0) > 0, "\(byReason)")
        #expect((byReason["insufficient-credit"] ?? 0) > 0, "\(byReason)")
        #expect(try confirmed.first?.decode(Int.self, column: 0) ?? 0 > 0)

        let verify = try await ProcessRun.choreo(
            ["verify", "--json", "--settle", "10"], environment: environment, timeout: .seconds(60))
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any]
        #expect(report?["passed"] as? Bool == true, "\(verify.stdout)")
        #expect((report?["invariants"] as? [Any])?.count == 5)
    }

    /// A temporary project root with a copy of the repository's contracts, topics and
    /// consumers, so the run's state file does not land in the work tree.
    private func projectCopy() throws -> URL {
        let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let root = FileManager.default.temporaryDirectory.appending(path: "choreo-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for directory in ["contracts", "topics", "consumers"] {
            try FileManager.default.copyItem(
                at: repository.appending(path: directory), to: root.appending(path: directory))
        }
        return root
    }

    private func drop(_ names: [String], server: PostgresConfiguration) async {
        guard let connection = try? await PostgresConnection.connect(configuration: server) else { return }
        for name in names where name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            try? await connection.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
        await connection.close()
    }
}
