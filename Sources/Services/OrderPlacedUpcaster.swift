import Contracts

/// The contracts' upcasters, registered by every service that handles an event whose
/// older versions may still be in a topic.
public enum ContractUpcasters {
    /// Every known step: `order.placed` v1 → v2.
    public static var all: Upcasters {
        var upcasters = Upcasters()
        upcasters.register("order.placed", from: 1, orderPlacedV1ToV2)
        return upcasters
    }

    /// `order.placed` v1 → v2, as `contracts/order.placed/v2.schema.json` says: prices and
    /// total in euros become integer cents (`unitPriceMinor`, `totalMinor`), `currency`
    /// is `EUR` and `shippingAddress` is null (v1 had none).
    public static let orderPlacedV1ToV2: Upcasters.Transform = { v1 in
        guard let object = v1.objectValue, let lines = v1["items"]?.arrayValue,
            case .number(let total)? = v1["total"]
        else { throw UpcastError(message: "order.placed.v1: expected an object with items and total") }
        let items = try lines.map { line -> JSONValue in
            guard case .number(let price)? = line["unitPrice"], let sku = line["sku"], let quantity = line["quantity"]
            else { throw UpcastError(message: "order.placed.v1: a line lacks sku, quantity or unitPrice") }
            return .object(
                JSONObject([
                    ("sku", sku), ("quantity", quantity),
                    ("unitPriceMinor", .number(.int(MinorUnits.fromMajor(price.doubleValue)))),
                ]))
        }
        return .object(
            JSONObject([
                ("orderId", object["orderId"] ?? .null), ("customerId", object["customerId"] ?? .null),
                ("items", .array(items)), ("totalMinor", .number(.int(MinorUnits.fromMajor(total.doubleValue)))),
                ("currency", .string("EUR")), ("shippingAddress", .null), ("placedAt", object["placedAt"] ?? .null),
            ]))
    }
}
