/// The services a build can run, by name: what the CLI composes from a list.
public struct ServiceCatalog: Sendable {
    public let services: [ServiceDescription]

    /// - Throws: `ServiceError.configuration` when two services share a name.
    public init(_ services: [ServiceDescription]) throws {
        var seen: Set<String> = []
        for service in services where !seen.insert(service.name).inserted {
            throw ServiceError(code: .configuration, message: "two services are named \(service.name)")
        }
        self.services = services
    }

    public var names: [String] { services.map(\.name) }

    /// The service called `name`.
    /// - Throws: `ServiceError.unknownService` naming the known ones.
    public func service(named name: String) throws -> ServiceDescription {
        guard let service = services.first(where: { $0.name == name }) else {
            throw ServiceError(
                code: .unknownService,
                message: "no service '\(name)' in this build (known: \(names.joined(separator: ", ")))")
        }
        return service
    }
}
