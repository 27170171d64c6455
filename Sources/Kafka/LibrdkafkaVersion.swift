import CRdKafka

/// The librdkafka this build links.
public enum LibrdkafkaVersion {
    /// E.g. `2.0.2`.
    public static var string: String { String(cString: rd_kafka_version_str()) }
}
