import ChoreoTestSupport
import Consumers
import Foundation
import Testing

/// docker-compose.yml and the Dockerfile, checked by parsing them: there is no Docker engine
/// on these machines.
@Suite("Deployment files: docker-compose.yml, Dockerfile, scripts/docker/init-databases.sql")
struct DeploymentStructureTests {
    static let root = CLI.repositoryRoot

    static func compose() throws -> ComposeFile { try ComposeFile(url: root.appending(path: "docker-compose.yml")) }
    static func dockerfile() throws -> DockerfileStages {
        try DockerfileStages(url: root.appending(path: "Dockerfile"))
    }
    static func initScript() throws -> InitDatabasesScript {
        try InitDatabasesScript(url: root.appending(path: "scripts/docker/init-databases.sql"))
    }

    /// The `service:` names of consumers/*.yaml.
    static func serviceNames() throws -> Set<String> {
        Set(try ConsumerGroupSpec.loadAll(root.appending(path: "consumers")).map(\.service))
    }

    /// Containers that run the choreo image (built from the Dockerfile).
    static func choreoContainers(_ compose: ComposeFile) -> [ComposeFile.Service] {
        compose.services.values.filter(\.builds).sorted { $0.name < $1.name }
    }

    /// `CHOREO_<SERVICE>_DATABASE_URL` as docs/configuration.md spells it.
    static func databaseKey(service: String) -> String {
        "CHOREO_" + service.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            + "_DATABASE_URL"
    }

    /// A pinned image: a digest, or a tag starting with major.minor, `v` allowed before it
    /// (never `latest`).
    static func isPinned(_ image: String) -> Bool {
        if image.contains("@sha256:") { return true }
        let nameEnd = image.lastIndex(of: "/") ?? image.startIndex
        guard let colon = image[nameEnd...].lastIndex(of: ":") else { return false }
        return image[image.index(after: colon)...].prefixMatch(of: /v?\d+\.\d+/) != nil
    }

    @Test("every service of consumers/*.yaml has exactly one container running `choreo service run <name>`")
    func everyServiceHasAContainer() throws {
        let compose = try Self.compose()
        let services = try Self.serviceNames()
        #expect(services.count >= 6, "\(services)")
        var running: [String: [String]] = [:]
        for container in Self.choreoContainers(compose) where container.command.starts(with: ["service", "run"]) {
            let name = try #require(
                container.command.dropFirst(2).first, "\(container.name): service run without a name")
            running[name, default: []].append(container.name)
        }
        for service in services.sorted() {
            #expect(running[service]?.count == 1, "service \(service) runs in \(running[service] ?? [])")
        }
        #expect(Set(running.keys).subtracting(services).isEmpty, "containers run services no consumers/*.yaml names")
    }

    @Test("service containers scale: no container_name, no host ports; they wait for topics and PostgreSQL")
    func servicesScale() throws {
        let compose = try Self.compose()
        for container in Self.choreoContainers(compose) {
            #expect(container.containerName == nil, "\(container.name) has a fixed container_name")
            #expect(container.ports.isEmpty, "\(container.name) publishes host ports \(container.ports)")
            for dependency in container.dependsOn.keys {
                #expect(compose.services[dependency] != nil, "\(container.name) depends on unknown \(dependency)")
            }
            if container.command.starts(with: ["service", "run"]) || container.command.starts(with: ["dlq"]) {
                #expect(container.dependsOn["topics"] == "service_completed_successfully", "\(container.name)")
                #expect(container.dependsOn["postgres"] == "service_healthy", "\(container.name)")
            }
        }
        #expect(compose.services["topics"]?.command == ["topics", "apply"])
    }

    @Test(
        "database URLs: each names a database and its owner from the init script, on the compose PostgreSQL; no container gets another's database"
    )
    func databasesPerService() throws {
        let compose = try Self.compose()
        let script = try Self.initScript()
        var databaseUsers: [String: String] = [:]
        for container in Self.choreoContainers(compose) {
            let keys = container.environment.keys.filter { $0.hasSuffix("_DATABASE_URL") }.sorted()
            #expect(!keys.contains("CHOREO_DATABASE_URL"), "\(container.name): the shared fallback key is not used")
            let expected: [String]
            if container.command.starts(with: ["service", "run"]), let service = container.command.dropFirst(2).first {
                expected = [Self.databaseKey(service: service)]
            } else if container.command.starts(with: ["dlq"]) {
                expected = ["CHOREO_OPS_DATABASE_URL"]
            } else {
                expected = []
            }
            #expect(keys == expected, "\(container.name) has database keys \(keys), expected \(expected)")
            for key in keys {
                let text = try #require(container.environment[key])
                let url = try #require(URLComponents(string: text), "\(container.name): \(key) is not a URL")
                #expect(url.scheme == "postgresql", "\(container.name): \(key)")
                #expect(compose.services[url.host ?? ""]?.image?.hasPrefix("postgres:") == true, "\(container.name)")
                let database = String(url.path.dropFirst())
                let owner = try #require(script.owners[database], "\(container.name): \(database) is not created")
                #expect(
                    url.user == owner, "\(container.name) connects to \(database) as \(url.user ?? "-"), owner \(owner)"
                )
                #expect(url.password == script.passwords[owner], "\(container.name): password of \(owner)")
                #expect(script.revoked.contains(database), "\(database): PUBLIC may still connect")
                if let other = databaseUsers[database] {
                    Issue.record("\(database) is used by both \(other) and \(container.name)")
                }
                databaseUsers[database] = container.name
            }
        }
        #expect(databaseUsers["choreo_ops"] == "dlq-worker")
        // Every database the script creates belongs to one role, and every role owns one database.
        #expect(Set(script.owners.values).count == script.owners.count)
        #expect(Set(script.owners.values) == Set(script.passwords.keys))
        #expect(Set(databaseUsers.keys) == Set(script.owners.keys), "databases created but unused, or missing")
    }

    @Test("containers use the environment keys of local runs, and the bootstrap servers name the compose brokers")
    func environmentKeys() throws {
        let compose = try Self.compose()
        let services = try Self.serviceNames()
        let allowed =
            Set([
                "CHOREO_BOOTSTRAP_SERVERS", "CHOREO_ROOT", "CHOREO_LOG_LEVEL", "CHOREO_OPS_DATABASE_URL",
                "CHOREO_LOG_FORMAT", "CHOREO_OPS_PORT", "CHOREO_OPS_HOST", "CHOREO_OTEL_EXPORTER_OTLP_ENDPOINT",
            ])
            .union(services.map(Self.databaseKey))
        for container in Self.choreoContainers(compose) {
            for key in container.environment.keys where !key.hasPrefix("CHOREO_KAFKA_") {
                #expect(allowed.contains(key), "\(container.name): \(key) is not a choreo setting")
            }
            let servers = try #require(container.environment["CHOREO_BOOTSTRAP_SERVERS"], "\(container.name)")
            let brokers = servers.split(separator: ",").map { $0.split(separator: ":").map(String.init) }
            #expect(brokers.count == 3, "\(container.name): \(servers)")
            for broker in brokers {
                let node = try #require(compose.services[broker[0]], "\(broker[0]) is not a compose service")
                #expect(node.image?.hasPrefix("apache/kafka:") == true)
                #expect(
                    node.environment["KAFKA_ADVERTISED_LISTENERS"]?.contains("//\(broker.joined(separator: ":"))")
                        == true,
                    "\(broker.joined(separator: ":")) is not an advertised listener of \(node.name)")
                #expect(node.environment["KAFKA_PROCESS_ROLES"] == "broker,controller", "KRaft: \(node.name)")
            }
        }
    }

    @Test("every image is pinned to a version or built from the Dockerfile; bind-mounted files exist")
    func imagesArePinned() throws {
        let compose = try Self.compose()
        for container in compose.services.values {
            let image = try #require(container.image, "\(container.name) names no image")
            #expect(container.builds || Self.isPinned(image), "\(container.name): \(image) is not pinned")
            for volume in container.volumes where volume.hasPrefix("./") {
                let source = String(volume.split(separator: ":")[0].dropFirst(2))
                #expect(FileManager.default.fileExists(atPath: Self.root.appending(path: source).path), "\(source)")
            }
        }
        let built = Set(Self.choreoContainers(compose).compactMap(\.image))
        #expect(built.count == 1, "one choreo image for every choreo container: \(built)")
        for stage in try Self.dockerfile().stages {
            #expect(Self.isPinned(stage.image), "Dockerfile: FROM \(stage.image) is not pinned")
        }
        #expect(!Self.isPinned("postgres:15") && !Self.isPinned("swift:latest") && !Self.isPinned("localhost:5000/x"))
        #expect(Self.isPinned("prom/prometheus:v3.1.0") && !Self.isPinned("prom/prometheus:v3"))
    }

    @Test(
        "the Dockerfile: a Swift toolchain build stage, a slim runtime with librdkafka and libpq, COPY sources that exist"
    )
    func dockerfileStructure() throws {
        let stages = try Self.dockerfile().stages
        #expect(stages.count == 2)
        let build = try #require(stages.first)
        let runtime = try #require(stages.last)
        #expect(build.image.hasPrefix("swift:6."))
        #expect(runtime.image.hasPrefix("debian:") && runtime.image.hasSuffix("-slim"))
        let buildRuns = build.arguments(of: "RUN").joined(separator: "\n")
        #expect(buildRuns.contains("librdkafka-dev") && buildRuns.contains("libpq-dev"))
        #expect(buildRuns.contains("swift build -c release --product choreo"))
        let manifest = try String(contentsOf: Self.root.appending(path: "Package.swift"), encoding: .utf8)
        #expect(manifest.contains(".executable(name: \"choreo\""))
        let runtimeRuns = runtime.arguments(of: "RUN").joined(separator: "\n")
        #expect(runtimeRuns.contains("librdkafka1") && runtimeRuns.contains("libpq5"))
        #expect(!runtimeRuns.contains("-dev"), "no development packages at run time")

        let ignored = try String(contentsOf: Self.root.appending(path: ".dockerignore"), encoding: .utf8)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        let names = stages.compactMap(\.name)
        var runtimeDestinations: [String] = []
        for (index, stage) in stages.enumerated() {
            for arguments in stage.arguments(of: "COPY") {
                let copy = DockerfileStages.copy(arguments)
                if let from = copy.options["from"] {
                    #expect(names.prefix(index).contains(from), "COPY --from=\(from) names no earlier stage")
                } else {
                    for source in copy.sources {
                        let path = Self.root.appending(path: source).path
                        #expect(FileManager.default.fileExists(atPath: path), "COPY \(source): not in the repository")
                        #expect(!ignored.contains(source), "COPY \(source) is excluded by .dockerignore")
                    }
                }
                if index == stages.count - 1 { runtimeDestinations.append(copy.destination) }
            }
        }
        #expect(Set(runtimeDestinations).isSuperset(of: ["/app/topics", "/app/contracts", "/app/consumers"]))
        #expect(runtime.arguments(of: "ENV").contains { $0.contains("CHOREO_ROOT=/app") })
        #expect(runtime.arguments(of: "ENTRYPOINT") == ["[\"/usr/local/bin/choreo\"]"])
        #expect(runtimeDestinations.contains("/usr/local/bin/choreo"))
    }

    /// The longest prefix of `words` that is a command path of the built `choreo`, and
    /// whether it is a runnable command (not a group with subcommands).
    static func resolve(_ words: [String]) async throws -> (path: [String], runnable: Bool) {
        var path: [String] = []
        var runnable = false
        for word in words where !word.hasPrefix("-") {
            let run = try await CLI.run(path + [word, "--help"])
            let usage = run.stdout.split(separator: "\n").first { $0.hasPrefix("USAGE: ") } ?? ""
            let expected = "USAGE: choreo " + (path + [word]).joined(separator: " ")
            guard run.status == 0, usage == expected || usage.hasPrefix(expected + " ") else { break }
            path.append(word)
            runnable = !usage.contains("<subcommand>")
        }
        return (path, runnable)
    }

    @Test(
        "every choreo command in docker-compose.yml exists in the CLI (only `service run` and `dlq worker` may be pending)"
    )
    func commandsExist() async throws {
        let compose = try Self.compose()
        let pendingAllowed: [[String]] = [["service", "run"], ["dlq", "worker"]]
        var pending: Set<String> = []
        for container in Self.choreoContainers(compose) {
            #expect(!container.command.isEmpty, "\(container.name) has no command")
            let resolved = try await Self.resolve(container.command)
            if resolved.runnable && !resolved.path.isEmpty { continue }
            if let allowed = pendingAllowed.first(where: { container.command.starts(with: $0) }) {
                pending.insert(allowed.joined(separator: " "))
            } else {
                Issue.record("\(container.name): `choreo \(container.command.joined(separator: " "))` is not a command")
            }
        }
        print(
            pending.isEmpty
                ? "deployment: every choreo command of docker-compose.yml exists"
                : "deployment: pending in this build of choreo: \(pending.sorted().map { "`choreo \($0)`" }.joined(separator: ", "))"
        )
        #expect(try await Self.resolve(["topics", "apply"]) == (["topics", "apply"], true))
        #expect(try await Self.resolve(["topics", "nosuch"]).runnable == false)
    }
}
