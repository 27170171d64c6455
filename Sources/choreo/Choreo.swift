import ArgumentParser

/// The one Choreo command-line tool.
@main
struct Choreo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "choreo",
        abstract: "Choreography over Kafka: brokers, contracts, topics, outbox relays, consumers and dead letters.",
        version: ChoreoVersion.current,
        subcommands: [
            VersionCommand.self,
            BrokerCommand.self,
            DevCommand.self,
            PublishCommand.self,
            ConsumeCommand.self,
            TopicsCommand.self,
            ContractsCommand.self,
            RelayCommand.self,
            ChaosCommand.self,
            ServiceCommand.self,
            VerifyCommand.self,
            ConsumerCommand.self,
            DlqCommand.self,
            BenchCommand.self,
            DocsCommand.self,
        ]
    )
}
