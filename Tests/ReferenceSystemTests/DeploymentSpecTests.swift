import Consumers
import Contracts
import Customers
import EventLog
import Foundation
import Inventory
import Kafka
import Notifications
import Orders
import Payments
import Postgres
import Services
import Testing
import Topics

/// `consumers/*.yaml` and the services agree: every group belongs to a service of this
/// list, and every type it handles has a handler of the version it names.
@Suite struct DeploymentSpecTests {
    @Test func everyDeclaredGroupRunsOnAServiceThatHandlesWhatItLists() throws {
        let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let environment = ServiceEnvironment(
            registry: try ContractRegistry(directory: root.appending(path: "contracts")),
            routes: try TopicCatalog.load(directory: root.appending(path: "topics")).outboxRoutes,
            groups: try ConsumerGroupSpec.loadAll(root.appending(path: "consumers")),
            kafka: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"))
        let catalog = try ServiceCatalog([
            CustomersService.description, OrdersService.description, InventoryService.description,
            PaymentsService.description, NotificationsService.description, EventLog.service,
        ])
        for spec in environment.groups {
            let service = try catalog.service(named: spec.service)
            let handlers = try service.handlers(for: spec)
            #expect(handlers.types.map(\.description).sorted() == spec.handles.sorted(), "\(spec.group)")
        }
        for service in catalog.services {
            #expect(!environment.groups(of: service.name).isEmpty, "\(service.name) has no consumer group")
            _ = try ServiceHost(
                service: service, environment: environment,
                database: try ServiceDatabase.configuration(service: service.name, environment: [:]))
        }
    }
}
