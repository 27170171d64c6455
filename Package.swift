// swift-tools-version: 6.2
import PackageDescription

/// Every target of ours is Swift 6 language mode (strict concurrency) and treats warnings as errors.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .treatAllWarnings(as: .error),
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
        .executable(name: "choreo", targets: ["choreo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
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
            dependencies: ["Kafka"],
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
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Consumers",
            dependencies: [
                "Kafka", "Postgres", "Contracts", "Outbox", "Yams",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ChoreoTestSupport",
            dependencies: ["Kafka", "Postgres", "Contracts"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "choreo",
            dependencies: [
                "Kafka", "Postgres", "Contracts", "Topics", "Outbox", "Consumers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
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
            dependencies: ["Consumers", "ChoreoTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ChoreoCLITests",
            dependencies: ["ChoreoTestSupport", "Kafka", "Topics", "Contracts"],
            swiftSettings: strict
        ),
    ]
)
