// swift-tools-version: 6.2
import PackageDescription

/// Every target of ours is Swift 6 language mode (strict concurrency) and treats warnings as errors.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .treatAllWarnings(as: .error),
]

/// What a service target may use: the seam and the toolkit below it, never another service.
let serviceDependencies: [Target.Dependency] = [
    "Services", "Consumers", "Outbox", "Postgres", "Contracts",
    .product(name: "Metrics", package: "swift-metrics"),
]

let package = Package(
    name: "Choreo",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Kafka", targets: ["Kafka"]),
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "Contracts", targets: ["Contracts"]),
        .library(name: "Topics", targets: ["Topics"]),
        .library(name: "Outbox", targets: ["Outbox"]),
        .library(name: "Consumers", targets: ["Consumers"]),
        .library(name: "Services", targets: ["Services"]),
        .library(name: "Operations", targets: ["Operations"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "Customers", targets: ["Customers"]),
        .library(name: "Orders", targets: ["Orders"]),
        .library(name: "Inventory", targets: ["Inventory"]),
        .library(name: "Payments", targets: ["Payments"]),
        .library(name: "Notifications", targets: ["Notifications"]),
        .library(name: "DeadLetters", targets: ["DeadLetters"]),
        .library(name: "NetworkFaults", targets: ["NetworkFaults"]),
        .executable(name: "choreo", targets: ["choreo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // OTLP/HTTP span export only: the OTLPHTTP trait leaves out gRPC and its long build.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // C modules: imported only by Kafka and Postgres.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),

        .target(
            name: "Kafka",
            dependencies: ["CRdKafka", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "Postgres",
            dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "Contracts",
            dependencies: ["Kafka", .product(name: "Tracing", package: "swift-distributed-tracing")],
            swiftSettings: strict
        ),
        .target(
            name: "Topics",
            dependencies: ["Kafka", "Contracts", "Yams"],
            swiftSettings: strict
        ),
        .target(
            name: "Outbox",
            dependencies: [
                "Kafka", "Postgres", "Contracts",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Consumers",
            dependencies: [
                "Kafka", "Postgres", "Contracts", "Outbox", "Yams",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        // The service seam: a description of a service and a host that runs it.
        .target(
            name: "Services",
            dependencies: [
                "Kafka", "Postgres", "Contracts", "Topics", "Outbox", "Consumers",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The services: each depends on the seam, never on another service.
        .target(name: "EventLog", dependencies: serviceDependencies, swiftSettings: strict),
        .target(name: "Customers", dependencies: serviceDependencies, swiftSettings: strict),
        .target(name: "Orders", dependencies: serviceDependencies, swiftSettings: strict),
        .target(name: "Inventory", dependencies: serviceDependencies, swiftSettings: strict),
        .target(name: "Payments", dependencies: serviceDependencies, swiftSettings: strict),
        .target(name: "Notifications", dependencies: serviceDependencies, swiftSettings: strict),
        // The operations HTTP endpoint (metrics exposition and health probes) a long-running process serves.
        .target(
            name: "Operations",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "DeadLetters",
            dependencies: [
                "Kafka", "Postgres", "Contracts", "Consumers", "Topics",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        // Network fault injection (a black-holing TCP proxy) for tests and `choreo chaos`.
        .target(name: "NetworkFaults", swiftSettings: strict),
        .target(
            name: "ChoreoTestSupport",
            dependencies: ["Kafka", "Postgres", "Contracts", "NetworkFaults"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "choreo",
            dependencies: [
                "Kafka", "Postgres", "Contracts", "Topics", "Outbox", "Consumers", "DeadLetters", "Services",
                "EventLog", "Customers", "Orders", "Inventory", "Payments", "Notifications", "Operations",
                "NetworkFaults",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            swiftSettings: strict
        ),

        // libFuzzer harnesses; scripts/fuzz.sh builds them with -sanitize=fuzzer,address.
        .executableTarget(
            name: "ChoreoFuzz",
            dependencies: ["Contracts", "Kafka"],
            swiftSettings: strict
        ),

        .testTarget(
            name: "KafkaTests",
            dependencies: ["Kafka", "ChoreoTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PostgresTests",
            dependencies: ["Postgres", "ChoreoTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ContractsTests",
            dependencies: ["Contracts", "ChoreoTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TopicsTests",
            dependencies: ["Topics", "ChoreoTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "OutboxTests",
            dependencies: ["Outbox", "Topics", "ChoreoTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConsumersTests",
            dependencies: [
                "Consumers", "ChoreoTestSupport",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ServicesTests",
            dependencies: [
                "Services", "EventLog", "Inventory", "Orders", "Payments", "Operations", "Topics", "ChoreoTestSupport",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ReferenceSystemTests",
            dependencies: [
                "Customers", "Orders", "Inventory", "Payments", "Notifications", "EventLog", "Services", "Topics",
                "ChoreoTestSupport",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DeadLettersTests",
            dependencies: ["DeadLetters", "Consumers", "Topics", "ChoreoTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ChoreoCLITests",
            dependencies: ["ChoreoTestSupport", "Kafka", "Topics", "Contracts", "Consumers", "Yams"],
            swiftSettings: strict
        ),
    ]
)
