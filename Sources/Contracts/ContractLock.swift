import Foundation

/// `contracts/contracts.lock.json`: the SHA-256 of every published contract version's file.
/// A published version is immutable: an edit changes its hash and `check` reports it.
public struct ContractLock: Sendable, Equatable {
    /// `name/vN` → lower-case hex SHA-256 of the schema file's bytes.
    public var hashes: [String: String]

    public init(hashes: [String: String] = [:]) { self.hashes = hashes }

    public static let fileName = "contracts.lock.json"

    /// The lower-case hex SHA-256 of `bytes`, as the lock file records it.
    public static func sha256Hex(_ bytes: [UInt8]) -> String { SHA256.hex(bytes) }

    static func key(_ type: EventType) -> String { "\(type.name)/v\(type.version)" }

    /// The lock of every contract in `registry` as it is now.
    public static func make(_ registry: ContractRegistry) -> ContractLock {
        var hashes: [String: String] = [:]
        for type in registry.types {
            if let contract = registry.contract(for: type) { hashes[key(type)] = SHA256.hex(contract.bytes) }
        }
        return ContractLock(hashes: hashes)
    }

    /// Reads a lock file; a missing file is an empty lock.
    public static func load(_ url: URL) throws -> ContractLock {
        guard let data = FileManager.default.contents(atPath: url.path) else { return ContractLock() }
        guard case .object(let object) = try JSONValue(parsing: Array(data)),
            case .object(let versions)? = object["versions"]
        else {
            throw ContractLoadError(problems: [
                ContractProblem(
                    file: fileName, rule: "lock-file", message: "expected {\"versions\": {\"name/vN\": \"sha256\"}}")
            ])
        }
        var hashes: [String: String] = [:]
        for (key, value) in versions.members {
            guard let hash = value.stringValue else {
                throw ContractLoadError(problems: [
                    ContractProblem(
                        file: fileName, pointer: "/versions/\(key)", rule: "lock-file",
                        message: "expected a hash string")
                ])
            }
            hashes[key] = hash
        }
        return ContractLock(hashes: hashes)
    }

    /// Stable, sorted, pretty JSON.
    public func rendered() -> String {
        let lines = hashes.keys.sorted().map { "    \"\($0)\": \"\(hashes[$0] ?? "")\"" }
        return
            "{\n  \"comment\": \"SHA-256 of every published contract version. Written by `choreo contracts lock`; never edit a locked version.\",\n  \"versions\": {\n"
            + lines.joined(separator: ",\n") + "\n  }\n}\n"
    }

    /// Immutability problems of `registry` against this lock.
    public func check(_ registry: ContractRegistry) -> [ContractProblem] {
        var problems: [ContractProblem] = []
        for type in registry.types {
            guard let contract = registry.contract(for: type) else { continue }
            let key = Self.key(type)
            guard let locked = hashes[key] else {
                problems.append(
                    ContractProblem(
                        file: contract.path, rule: "unlocked-version",
                        message: "\(type) is not in the lock file; run `choreo contracts lock` to publish it"))
                continue
            }
            if locked != SHA256.hex(contract.bytes) {
                problems.append(
                    ContractProblem(
                        file: contract.path, rule: "immutable-published-version",
                        message: "\(type) was published and must not change; add v\(type.version + 1) instead"))
            }
        }
        for key in hashes.keys.sorted() {
            let parts = key.split(separator: "/")
            guard parts.count == 2, let version = Int(parts[1].dropFirst()) else { continue }
            if registry.contract(for: EventType(name: String(parts[0]), version: version)) == nil {
                problems.append(
                    ContractProblem(
                        file: "\(key).schema.json", rule: "published-version-removed",
                        message: "\(key) is locked but its file is gone; published versions stay"))
            }
        }
        return problems
    }
}
