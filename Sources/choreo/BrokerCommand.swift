import ArgumentParser

/// `choreo broker`: runs the embedded Kafka broker (librdkafka mock cluster).
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the embedded Kafka broker until interrupted; prints its bootstrap servers first."
    )

    func run() async throws {
        throw ValidationError("the embedded broker is not built yet")
    }
}
