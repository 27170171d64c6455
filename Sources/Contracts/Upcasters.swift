/// Transforms from one major version of a contract to the next (`vN → vN+1`), so that a
/// consumer handles only the newest version it knows.
public struct Upcasters: Sendable {
    public typealias Transform = @Sendable (JSONValue) throws -> JSONValue

    private var steps: [EventType: Transform] = [:]

    public init() {}

    /// Registers the transform of `name` from `version` to `version + 1`.
    public mutating func register(_ name: String, from version: Int, _ transform: @escaping Transform) {
        steps[EventType(name: name, version: version)] = transform
    }

    /// Whether a `from → from+1` step exists.
    public func hasStep(_ type: EventType) -> Bool { steps[type] != nil }

    /// Upcasts `data` of `type` to `version`, step by step, validating every result
    /// against its contract.
    /// - Throws: `UpcastError` when a step is missing, fails, or produces invalid data.
    public func upcast(_ data: JSONValue, from type: EventType, to version: Int, registry: ContractRegistry) throws
        -> JSONValue
    {
        guard version >= type.version else {
            throw UpcastError(message: "cannot downcast \(type) to v\(version)")
        }
        var current = data
        var currentVersion = type.version
        while currentVersion < version {
            let from = EventType(name: type.name, version: currentVersion)
            guard let step = steps[from] else {
                throw UpcastError(message: "no upcaster registered for \(from) → v\(currentVersion + 1)")
            }
            do {
                current = try step(current)
            } catch {
                throw UpcastError(message: "upcaster \(from) → v\(currentVersion + 1) failed: \(error)")
            }
            currentVersion += 1
            let errors = registry.validate(current, as: EventType(name: type.name, version: currentVersion))
            if !errors.isEmpty {
                throw UpcastError(
                    message:
                        "upcast to \(type.name).v\(currentVersion) is invalid: \(errors.prefix(3).map(\.description).joined(separator: "; "))"
                )
            }
        }
        return current
    }
}

/// An upcast that could not be done.
public struct UpcastError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
