import Contracts
import Foundation

/// Contracts for tests: `test.event.v1` = `{key: string, seq: integer ≥ 0}` and
/// `test.event.v2` = `{key, seq, note: string}` (required note: an incompatible change).
public enum TestContracts {
    public static let v1 = EventType(name: "test.event", version: 1)
    public static let v2 = EventType(name: "test.event", version: 2)

    /// A registry loaded from a fresh temporary `contracts/` directory.
    public static func registry() throws -> ContractRegistry {
        let root = FileManager.default.temporaryDirectory.appending(path: "choreo-test-contracts-\(UUID())")
        let directory = root.appending(path: "test.event")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let v1 = """
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "test event v1",
             "type": "object", "required": ["key", "seq"], "additionalProperties": false,
             "properties": {"key": {"type": "string"}, "seq": {"type": "integer", "minimum": 0}}}
            """
        let v2 = """
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "test event v2",
             "type": "object", "required": ["key", "seq", "note"], "additionalProperties": false,
             "properties": {"key": {"type": "string"}, "seq": {"type": "integer", "minimum": 0},
                            "note": {"type": "string"}}}
            """
        try Data(v1.utf8).write(to: directory.appending(path: "v1.schema.json"))
        try Data(v2.utf8).write(to: directory.appending(path: "v2.schema.json"))
        return try ContractRegistry(directory: root)
    }

    /// The data of a `test.event.v1`.
    public static func data(key: String, seq: Int) -> [UInt8] {
        Array("{\"key\":\"\(key)\",\"seq\":\(seq)}".utf8)
    }
}
