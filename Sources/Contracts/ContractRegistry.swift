import Foundation

/// Every contract of a project, loaded once from `contracts/`.
///
/// Layout: `contracts/<name>/v<N>.schema.json` (draft 2020-12 schemas). Thread-safe and
/// immutable: share one registry.
public struct ContractRegistry: Sendable {
    private let contracts: [EventType: Contract]
    /// The directory it was loaded from, if any.
    public let directory: URL?

    public init(contracts: [Contract]) {
        self.contracts = Dictionary(contracts.map { ($0.type, $0) }, uniquingKeysWith: { first, _ in first })
        self.directory = nil
    }

    /// Loads every `<name>/v<N>.schema.json` under `directory`.
    /// - Throws: `ContractLoadError` listing every unreadable file, bad name or bad schema.
    public init(directory: URL) throws {
        var loaded: [EventType: Contract] = [:]
        var problems: [ContractProblem] = []
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ContractLoadError(problems: [
                ContractProblem(
                    file: directory.path, rule: "contracts-directory", message: "no contracts directory here")
            ])
        }
        let names = (try? fileManager.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names.sorted() {
            let folder = directory.appending(path: name)
            guard fileManager.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                continue
            }
            guard EventType.isValidName(name) else {
                problems.append(
                    ContractProblem(
                        file: name, rule: "contract-name",
                        message: "contract names are lower-case words of [a-z0-9-] separated by dots"))
                continue
            }
            for file in ((try? fileManager.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() {
                let path = "\(name)/\(file)"
                guard file.hasSuffix(".schema.json") else {
                    problems.append(
                        ContractProblem(file: path, rule: "contract-file-name", message: "expected v<N>.schema.json"))
                    continue
                }
                let stem = file.dropLast(".schema.json".count)
                guard stem.hasPrefix("v"), let version = Int(stem.dropFirst()), version >= 1, "v\(version)" == stem
                else {
                    problems.append(
                        ContractProblem(
                            file: path, rule: "contract-file-name", message: "expected v<N>.schema.json with N ≥ 1"))
                    continue
                }
                guard let data = fileManager.contents(atPath: folder.appending(path: file).path) else {
                    problems.append(ContractProblem(file: path, rule: "readable", message: "cannot read the file"))
                    continue
                }
                let bytes = Array(data)
                do {
                    let document = try JSONValue(parsing: bytes)
                    loaded[EventType(name: name, version: version)] = try Contract(
                        type: EventType(name: name, version: version), document: document, bytes: bytes, path: path)
                } catch let error as JSONParseError {
                    problems.append(ContractProblem(file: path, rule: "json", message: error.description))
                } catch let error as JSONSchemaError {
                    problems.append(
                        ContractProblem(
                            file: path, pointer: String(error.schemaPath.dropFirst()), rule: "schema",
                            message: error.message))
                } catch {
                    problems.append(ContractProblem(file: path, rule: "schema", message: "\(error)"))
                }
            }
        }
        guard problems.isEmpty else { throw ContractLoadError(problems: problems) }
        self.contracts = loaded
        self.directory = directory
    }

    /// Every contract's type, sorted.
    public var types: [EventType] { contracts.keys.sorted() }

    public func contract(for type: EventType) -> Contract? { contracts[type] }

    /// The versions of a contract name, ascending.
    public func versions(of name: String) -> [Int] {
        contracts.keys.filter { $0.name == name }.map(\.version).sorted()
    }

    /// The newest version of a contract name.
    public func latestVersion(of name: String) -> Int? { versions(of: name).last }

    /// Validation errors of `data` against `type`'s contract; one error when there is no contract.
    public func validate(_ data: JSONValue, as type: EventType) -> [ValidationError] {
        guard let contract = contracts[type] else {
            return [
                ValidationError(
                    instancePath: "", keyword: "contract", schemaPath: "", message: "no contract for \(type)")
            ]
        }
        return contract.schema.validate(data)
    }

    /// Parses and validates `data`.
    /// - Throws: `ContractViolation` when it is not JSON or not valid.
    public func validate(_ data: [UInt8], as type: EventType) throws {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: data)
        } catch {
            throw ContractViolation(type: type, errors: [], reason: "\(error)")
        }
        let errors = validate(document, as: type)
        if !errors.isEmpty { throw ContractViolation(type: type, errors: errors, reason: nil) }
    }
}
