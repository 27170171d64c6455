import ArgumentParser

/// `choreo bench …`: benchmarks that print their figures, ending with one JSON line.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput and latency; every benchmark ends with one line of JSON figures.",
        subcommands: [
            BenchKafkaCommand.self, BenchContractsCommand.self, BenchRelayCommand.self, BenchConsumerCommand.self,
            BenchE2ECommand.self,
            BenchPostgresCommand.self,
        ]
    )
}
