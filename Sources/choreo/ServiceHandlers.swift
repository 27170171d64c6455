import Consumers
import Contracts
import Customers
import EventLog
import Inventory
import Kafka
import Notifications
import Orders
import Payments
import Services
import Topics

/// The services this build of `choreo` can run: a list, composed here and nowhere else.
enum ServiceHandlers {
    static let services: [ServiceDescription] = [
        CustomersService.description,
        OrdersService.description,
        InventoryService.description,
        PaymentsService.description,
        NotificationsService.description,
        EventLog.service,
    ]

    static func catalog() throws -> ServiceCatalog { try ServiceCatalog(services) }

    /// Contracts, routes and consumer-group specs of the project, and the Kafka settings:
    /// loaded once, shared by every host.
    static func environment(root: ProjectRoot, kafka: KafkaConfiguration) throws -> ServiceEnvironment {
        let catalog = try TopicCatalog.load(directory: root.topics)
        return ServiceEnvironment(
            registry: try ContractRegistry(directory: root.contracts), routes: catalog.outboxRoutes,
            groups: try ConsumerGroupSpec.loadAll(root.consumers), kafka: kafka, catalog: catalog)
    }
}
