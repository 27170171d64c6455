import Contracts

/// JSON for people: two-space indentation, members in their order.
enum PrettyJSON {
    static func format(_ value: JSONValue, indent: String = "") -> String {
        switch value {
        case .object(let object) where object.count > 0:
            let inner = indent + "  "
            let members = object.members.map {
                "\(inner)\(JSONValue.string($0.key).jsonText): \(format($0.value, indent: inner).drop { $0 == " " })"
            }
            return indent + "{\n" + members.joined(separator: ",\n") + "\n\(indent)}"
        case .array(let items) where !items.isEmpty:
            let inner = indent + "  "
            return indent + "[\n" + items.map { format($0, indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        default:
            return indent + value.jsonText
        }
    }
}
