import Consumers
import Contracts
import EventLog
import Foundation
import Postgres
import Services
import Testing

@Suite struct ServiceDescriptionTests {
    func spec(service: String, handles: [String]) throws -> ConsumerGroupSpec {
        let directory = FileManager.default.temporaryDirectory.appending(path: "choreo-spec-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "g.yaml")
        let yaml = "group: g\nservice: \(service)\ntopics: [t]\nhandles: [\(handles.joined(separator: ", "))]\n"
        try Data(yaml.utf8).write(to: file)
        return try ConsumerGroupSpec.load(file)
    }

    @Test func aGroupGetsTheHandlersOfTheTypesItLists() throws {
        let wanted = EventType(name: "a.thing", version: 2)
        let other = EventType(name: "b.thing", version: 1)
        let service = ServiceDescription(
            name: "svc", migrations: [], handlers: [wanted: { _, _ in }, other: { _, _ in }])
        let handlers = try service.handlers(for: try spec(service: "svc", handles: ["a.thing.v2"]))
        #expect(handlers.types == [wanted])
    }

    @Test func aTypeWithoutAHandlerOrAnotherVersionIsAConfigurationError() {
        let service = ServiceDescription(
            name: "svc", migrations: [], handlers: [EventType(name: "a.thing", version: 2): { _, _ in }])
        #expect(throws: ServiceError.self) {
            try service.handlers(for: try spec(service: "svc", handles: ["a.thing.v1"]))
        }
        #expect(throws: ServiceError.self) {
            try service.handlers(for: try spec(service: "other", handles: ["a.thing.v2"]))
        }
        #expect(throws: ServiceError.self) {
            try service.handlers(for: try spec(service: "svc", handles: ["nonsense"]))
        }
    }

    @Test func theEventLogHandlesWhateverItsGroupLists() throws {
        let handlers = try EventLog.service.handlers(
            for: try spec(service: "event-log", handles: ["order.placed.v2", "payment.failed.v1"]))
        #expect(handlers.types.map(\.description) == ["order.placed.v2", "payment.failed.v1"])
    }

    @Test func aCatalogRefusesTwoServicesOfOneNameAndNamesTheKnownOnes() throws {
        let one = ServiceDescription(name: "one", migrations: [])
        #expect(throws: ServiceError.self) { try ServiceCatalog([one, one]) }
        let catalog = try ServiceCatalog([one, ServiceDescription(name: "two", migrations: [])])
        #expect(try catalog.service(named: "two").name == "two")
        let error = #expect(throws: ServiceError.self) { try catalog.service(named: "three") }
        #expect(error?.code == .unknownService)
        #expect(error?.message.contains("one, two") == true)
    }
}

@Suite struct ServiceDatabaseTests {
    @Test func theServiceVariableWinsThenTheSharedURLWithTheServiceDatabaseThenTheLocalDefault() throws {
        let own = try ServiceDatabase.configuration(
            service: "orders",
            environment: [
                "CHOREO_ORDERS_DATABASE_URL": "postgresql://u:p@db1:5433/mine",
                "CHOREO_DATABASE_URL": "postgresql://u:p@db2/shared",
            ])
        #expect(own.host == "db1" && own.database == "mine")
        let shared = try ServiceDatabase.configuration(
            service: "event-log",
            environment: ["CHOREO_DATABASE_URL": "postgresql://u:p@db2:5434/shared?sslmode=require"])
        #expect(shared.host == "db2" && shared.port == 5434 && shared.database == "choreo_event_log")
        #expect(shared.parameters["sslmode"] == "require")
        let local = try ServiceDatabase.configuration(service: "payments", environment: [:])
        #expect(local.host == "127.0.0.1" && local.database == "choreo_payments")
        let flag = try ServiceDatabase.configuration(
            service: "payments", explicitURL: "postgresql://x@h/flagged",
            environment: ["CHOREO_PAYMENTS_DATABASE_URL": "postgresql://u@h/env"])
        #expect(flag.database == "flagged")
    }

    @Test func everyConnectionIsNamedAfterItsService() throws {
        #expect(
            try ServiceDatabase.configuration(service: "inventory", environment: [:]).applicationName
                == "choreo-inventory")
        #expect(ServiceDatabase.environmentKey(service: "event-log") == "CHOREO_EVENT_LOG_DATABASE_URL")
    }
}

@Suite struct ContractUpcastersTests {
    @Test func orderPlacedV1BecomesAValidV2InCentsWithEurosAndNoAddress() throws {
        let registry = try ContractRegistry(directory: projectRoot().appending(path: "contracts"))
        let v1 = try JSONValue(
            parsing: """
                {"orderId":"5b0c6c0e-8d2a-4c1e-9f3b-2a7d1e4c9b10","customerId":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                 "items":[{"sku":"SKU-RED-42","quantity":2,"unitPrice":19.99}],"total":39.98,
                 "placedAt":"2026-11-23T10:00:00Z"}
                """)
        let v2 = try ContractUpcasters.all.upcast(
            v1, from: EventType(name: "order.placed", version: 1), to: 2, registry: registry)
        #expect(v2["totalMinor"] == .number(.int(3998)))
        #expect(v2["currency"] == .string("EUR"))
        #expect(v2["shippingAddress"] == .null)
        #expect(v2["items"]?.arrayValue?.first?["unitPriceMinor"] == .number(.int(1999)))
    }
}

/// The repository root (for `contracts/`), found from this file's path.
func projectRoot() -> URL {
    URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
