import Consumers
import Contracts
import Outbox
import Services

/// The Customers service: registers customers from `customer.register.v1` commands and
/// announces them as `customer.registered.v1`.
public enum CustomersService {
    public static let registerV1 = EventType(name: "customer.register", version: 1)
    public static let registeredV1 = EventType(name: "customer.registered", version: 1)

    public static var description: ServiceDescription {
        ServiceDescription(name: "customers", migrations: CustomerStore.migrations, handlers: [registerV1: register])
    }

    static let register: EventHandler = { event, context in
        let command = try event.decode(RegisterCustomer.self)
        let existing = try await CustomerStore.find(command.customerId, on: context.connection)
        let decision = Registration.decide(
            id: command.customerId, name: command.name, email: command.email,
            creditLimitMinor: MinorUnits.fromMajor(command.creditLimit), existing: existing, now: event.envelope.time)
        guard case .register(let customer) = decision else { return }
        try await context.write(CustomerStore.insert(customer))
        let id = UUIDText.lowercased(customer.id)
        try await context.emit(
            OutboxEvent(
                type: registeredV1, key: id,
                encoding: CustomerRegistered(
                    customerId: id, name: customer.name, email: customer.email,
                    creditLimit: MinorUnits.toMajor(customer.creditLimitMinor), registeredAt: customer.registeredAt)))
    }
}
