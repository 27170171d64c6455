import ArgumentParser
import Foundation
import Kafka

/// Kafka connection settings shared by every command that talks to a broker.
///
/// Resolution order: flags, then environment (`CHOREO_BOOTSTRAP_SERVERS`,
/// `CHOREO_KAFKA_<PROPERTY>` with `_` for `.`), then the state file `choreo dev up` or
/// `choreo broker` wrote under the project root, then `localhost:9092`.
struct KafkaOptions: ParsableArguments {
    @Option(name: .long, help: "Kafka bootstrap servers, comma separated (env CHOREO_BOOTSTRAP_SERVERS).")
    var bootstrapServers: String?

    @Option(
        name: .customLong("kafka-property"),
        help: ArgumentHelp(
            "A raw librdkafka property key=value, repeatable (env CHOREO_KAFKA_<PROPERTY>, e.g. CHOREO_KAFKA_SASL_USERNAME).",
            valueName: "key=value"
        )
    )
    var kafkaProperties: [String] = []

    /// The client configuration these options describe, for the project at `root`.
    func configuration(root: ProjectRoot, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> KafkaConfiguration
    {
        let servers =
            bootstrapServers
            ?? environment["CHOREO_BOOTSTRAP_SERVERS"]
            ?? DevState.read(root: root)?.bootstrapServers
            ?? "localhost:9092"
        var configuration = KafkaConfiguration(bootstrapServers: servers)
        for (key, value) in environment where key.hasPrefix("CHOREO_KAFKA_") {
            let property = key.dropFirst("CHOREO_KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")
            guard !property.isEmpty else { continue }
            configuration.rawProperties[property] = value
        }
        for (position, pair) in kafkaProperties.enumerated() {
            // The argument is never echoed: its value (or all of it, when '=' is missing) may be a secret.
            guard let equals = pair.firstIndex(of: "=") else {
                throw ValidationError(
                    "--kafka-property number \(position + 1) is not key=value (not shown: it may hold a secret)")
            }
            guard equals != pair.startIndex else {
                throw ValidationError("--kafka-property number \(position + 1) has an empty key (value not shown)")
            }
            configuration.rawProperties[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return configuration
    }
}
