import Foundation
import Kafka

/// Kafka headers stored as a JSON array of `{"k": key, "v": base64 or null}`: exact bytes.
/// The one stored-headers format: parked events and the dead-letter store use it.
public enum StoredHeaders {
    public static func encode(_ headers: [KafkaHeader]) -> [UInt8] {
        let array: [[String: Any]] = headers.map { header in
            ["k": header.key, "v": header.value.map { Data($0).base64EncodedString() } ?? NSNull()]
        }
        return Array((try? JSONSerialization.data(withJSONObject: array)) ?? Data("[]".utf8))
    }

    public static func decode(_ text: String) throws -> [KafkaHeader] {
        guard let array = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
            throw ConsumerError(code: .specification, message: "stored headers are not a JSON array")
        }
        return array.compactMap { entry in
            guard let key = entry["k"] as? String else { return nil }
            let value = (entry["v"] as? String).flatMap { Data(base64Encoded: $0) }.map { Array($0) }
            return KafkaHeader(key: key, value: value)
        }
    }
}
