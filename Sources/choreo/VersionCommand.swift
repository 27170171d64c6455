import ArgumentParser
import Kafka
import Postgres

/// `choreo version`: prints the version of Choreo and of the C libraries it links.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version of choreo and the librdkafka and libpq it uses."
    )

    func run() throws {
        print("choreo \(ChoreoVersion.current) (librdkafka \(LibrdkafkaVersion.string), libpq \(LibpqVersion.string))")
    }
}
