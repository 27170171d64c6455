import ChoreoTestSupport
import Consumers
import Contracts
import EventLog
import Foundation
import Kafka
import Outbox
import Postgres
import Services
import Testing
import Topics

@Suite struct ServiceHostTests {
    func environment() throws -> ServiceEnvironment {
        let root = projectRoot()
        return ServiceEnvironment(
            registry: try ContractRegistry(directory: root.appending(path: "contracts")),
            routes: try TopicCatalog.load(directory: root.appending(path: "topics")).outboxRoutes,
            groups: try ConsumerGroupSpec.loadAll(root.appending(path: "consumers")),
            kafka: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"))
    }

    @Test func prepareInstallsTheConsumerSchemaTheServiceTablesAndTheOutboxTwiceOver() async throws {
        try await withScratchDatabase { database in
            let host = try ServiceHost(service: EventLog.service, environment: try environment(), database: database)
            try await host.prepare(logger: testLogger("host"))
            try await host.prepare(logger: testLogger("host"))
            let connection = try await PostgresConnection.connect(configuration: database)
            let tables = try await connection.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
            ).map { try $0.decode(String.self, column: 0) }
            await connection.close()
            #expect(Set(["event_log", "outbox", "processed_events"]).isSubset(of: Set(tables)), "\(tables)")
        }
    }

    @Test func theClientsAreRegisteredFirstAndTheRelayNextSoTheConsumersStopFirstAndTheClientsLast() throws {
        let host = try ServiceHost(
            service: EventLog.service, environment: try environment(),
            database: try PostgresConfiguration(url: testDatabaseURL), instances: 3)
        #expect(host.groups.map(\.group) == ["audit-log"])
        let hosted = try host.makeServices(logger: testLogger("host"))
        #expect(hosted.consumers.count == 3)
        #expect(hosted.ordered.first is ServiceClients)
        #expect(hosted.ordered.dropFirst().first is OutboxRelay)
        #expect(hosted.ordered.dropFirst(2).allSatisfy { $0 is ConsumerRuntime })
        #expect(hosted.clients.pool.configuration.statementTimeout == PostgresConfiguration.workStatementTimeout)
        #expect(hosted.clients.pool.maxConnections == 2 + 3 + ServiceClients.headroom)
        #expect(
            hosted.consumers.allSatisfy {
                $0.configuration.upcasters.hasStep(EventType(name: "order.placed", version: 1))
            })
    }

    @Test func aGroupListingATypeTheServiceCannotHandleStopsTheHostBeforeItStarts() throws {
        var environment = try environment()
        environment.groups = environment.groups.filter { $0.service == "event-log" }
        let lacking = ServiceDescription(name: "event-log", migrations: [])
        #expect(throws: ServiceError.self) {
            try ServiceHost(
                service: lacking, environment: environment, database: try PostgresConfiguration(url: testDatabaseURL))
        }
    }

    @Test func aMissingServiceDatabaseIsCreatedAndAnExistingOneLeftAlone() async throws {
        var database = try PostgresConfiguration(url: testDatabaseURL)
        let name = "choreo_test_created_\(UUID().uuidString.prefix(8).lowercased())"
        database.database = name
        try await ServiceDatabase.createIfMissing(database, logger: testLogger("create"))
        try await ServiceDatabase.createIfMissing(database, logger: testLogger("create"))
        let admin = try await PostgresConnection.connect(configuration: try PostgresConfiguration(url: testDatabaseURL))
        let found = try await admin.query("SELECT 1 FROM pg_database WHERE datname = \(name)")
        try await admin.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        await admin.close()
        #expect(found.count == 1)
    }

    @Test func recreateEmptiesAnExistingDatabaseEvenWithASessionOpenOnIt() async throws {
        var database = try PostgresConfiguration(url: testDatabaseURL)
        let name = "choreo_test_recreated_\(UUID().uuidString.prefix(8).lowercased())"
        database.database = name
        try await ServiceDatabase.createIfMissing(database, logger: testLogger("recreate"))
        let open = try await PostgresConnection.connect(configuration: database)
        try await open.simpleQuery("CREATE TABLE leftover (id int); INSERT INTO leftover VALUES (1)")
        try await ServiceDatabase.recreate(database, logger: testLogger("recreate"))
        await open.close()
        let fresh = try await PostgresConnection.connect(configuration: database)
        let tables = try await fresh.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'leftover'")
        await fresh.close()
        let admin = try await PostgresConnection.connect(configuration: try PostgresConfiguration(url: testDatabaseURL))
        try await admin.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        await admin.close()
        #expect(tables.isEmpty)
    }

    @Test func recreateRefusesANameItWouldHaveToQuote() async throws {
        var database = try PostgresConfiguration(url: testDatabaseURL)
        database.database = "choreo\"; DROP DATABASE choreo; --"
        await #expect(throws: ServiceError.self) {
            try await ServiceDatabase.recreate(database, logger: testLogger("recreate"))
        }
    }
}
