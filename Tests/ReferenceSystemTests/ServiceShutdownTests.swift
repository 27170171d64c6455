import ChoreoTestSupport
import Foundation
import Postgres
import Testing
import Topics

/// `choreo service run` gets SIGTERM while its database hangs (a TCP proxy black-holes the
/// connection: nothing refused, nothing reset). Its relay and consumers close their
/// connections when their grace periods (5 s each) run out, so the process exits cleanly
/// instead of waiting for the 35 s response timeout of the stuck statement.
@Suite("choreo service run: SIGTERM while the database hangs", .serialized)
struct ServiceShutdownTests {
    @Test("the process exits with status 0 within the grace periods and a margin")
    func sigtermWhileDatabaseHangs() async throws {
        try await Self.withNotificationsBehindProxy(startingIn: .pass) { service, proxy, database in
            // Migrated, and the relay active: its lock session and its work connection.
            try await waitUntil(timeout: .seconds(60)) { proxy.openConnections >= 2 || !service.process.isRunning }
            #expect(service.process.isRunning)
            proxy.mode = .blackHole
            // The idle relay reads the outbox again within its poll interval (1 s): that
            // statement is now stuck in the hole.
            try await waitUntil(timeout: .seconds(30)) { proxy.heldBytes > 0 }
            service.kill(signal: SIGTERM)
            // Grace periods: consumers 5 s, then the relay 5 s, then a 1 s close. The
            // stuck statement alone would hold the process for its 35 s response timeout.
            let status = await service.waitForExit(timeout: .seconds(28))
            #expect(
                status == 0,
                "choreo service run did not exit within 28 s of SIGTERM (status \(String(describing: status)))")
        }
    }

    /// Found by `choreo chaos` (a service restarted during a partition exited with status 1):
    /// a service started while its database is black-holed waits for it, and starts once the
    /// network heals.
    @Test("a service started while its database is unreachable waits for it instead of exiting")
    func startWhileDatabaseUnreachable() async throws {
        try await Self.withNotificationsBehindProxy(startingIn: .blackHole) { service, proxy, database in
            // One attempt to prepare is two connections (the database, then the maintenance
            // database to create it), each ending at the 5 s connect timeout; a process that
            // gave up would have exited after the first two.
            try await waitUntil(timeout: .seconds(60)) {
                proxy.acceptedConnections >= 4 || !service.process.isRunning
            }
            #expect(service.process.isRunning, "the service exited while its database was unreachable")
            proxy.mode = .pass
            // Healed: migrated, then the relay active (its lock session and its work connection).
            try await waitUntil(timeout: .seconds(60)) {
                let connection = try await PostgresConnection.connect(configuration: database)
                let rows = try await connection.query("SELECT to_regclass('outbox') IS NOT NULL")
                await connection.close()
                return try rows.first?.decode(Bool.self, column: 0) == true || !service.process.isRunning
            }
            #expect(service.process.isRunning)
            // Running (so SIGTERM is the graceful stop): the relay holds its lock session and
            // its work connection.
            try await waitUntil(timeout: .seconds(60)) { proxy.openConnections >= 2 || !service.process.isRunning }
            service.kill(signal: SIGTERM)
            #expect(await service.waitForExit(timeout: .seconds(28)) == 0)
        }
    }

    /// `choreo service run notifications` on an embedded broker with every declared topic and
    /// a scratch database reached through a `TCPProxy` (in `mode` from the start); the process
    /// and the proxy are stopped after `body`.
    static func withNotificationsBehindProxy(
        startingIn mode: TCPProxy.Mode,
        _ body: (ChoreoProcess, TCPProxy, PostgresConfiguration) async throws -> Void
    ) async throws {
        let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let catalog = try TopicCatalog.load(directory: repository.appending(path: "topics"))
        try await withEmbeddedKafka(topics: catalog.topics.map { ($0.name, $0.partitions) }) { cluster in
            try await withScratchDatabase { database in
                let proxy = try TCPProxy(
                    upstreamHost: database.host ?? "127.0.0.1", upstreamPort: database.port ?? 5432)
                proxy.mode = mode
                var throughProxy = database
                throughProxy.host = "127.0.0.1"
                throughProxy.port = proxy.port
                let service = try ChoreoProcess.start(
                    ["service", "run", "notifications"],
                    environment: [
                        "CHOREO_BOOTSTRAP_SERVERS": cluster.bootstrapServers, "CHOREO_ROOT": repository.path,
                        "CHOREO_NOTIFICATIONS_DATABASE_URL": databaseURL(of: throughProxy),
                    ])
                do {
                    try await body(service, proxy, database)
                } catch {
                    service.kill()
                    await proxy.stop()
                    throw error
                }
                service.kill()
                await proxy.stop()
            }
        }
    }
}
