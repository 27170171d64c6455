import Contracts

/// `choreo dlq show --redact`: hides the data fields whose schema carries the annotation
/// `"x-sensitive": true` (an unknown keyword to JSON Schema, so contracts stay valid).
public enum SensitiveFields {
    public static let keyword = "x-sensitive"
    public static let mask = JSONValue.string("[redacted]")

    /// `data` with every value whose (sub)schema is marked sensitive replaced by `mask`.
    public static func redact(_ data: JSONValue, schema: JSONValue) -> JSONValue {
        if schema[keyword] == .bool(true) { return mask }
        switch data {
        case .object(var object):
            let properties = schema["properties"]?.objectValue
            for key in object.keys {
                guard let value = object[key], let subschema = properties?[key] else { continue }
                object[key] = redact(value, schema: subschema)
            }
            return .object(object)
        case .array(let items):
            guard let itemSchema = schema["items"] else { return data }
            return .array(items.map { redact($0, schema: itemSchema) })
        default:
            return data
        }
    }
}
