import ArgumentParser

/// The workers `choreo dev up` runs beside the services, each as a `choreo` child process.
///
/// THE place where dev up's list of workers is made: add a worker here, guarded by
/// `Choreo.has(_:)`, so a build without its command skips it.
enum DevWorkers {
    /// Each worker: a name for logs and the `choreo` arguments that run it.
    static func present() -> [(name: String, arguments: [String])] {
        var workers: [(name: String, arguments: [String])] = []
        // The dead-letter worker, when this build has `choreo dlq worker`.
        if Choreo.has(["dlq", "worker"]) { workers.append(("dlq-worker", ["dlq", "worker"])) }
        return workers
    }
}

extension Choreo {
    /// Whether this build has the subcommand at `path` (`["dlq", "worker"]`).
    static func has(_ path: [String]) -> Bool {
        var commands = configuration.subcommands
        for name in path {
            guard let command = commands.first(where: { $0.configuration.commandName == name }) else { return false }
            commands = command.configuration.subcommands
        }
        return true
    }
}
