import Contracts
import Foundation
import Topics

/// `--json` output of the listing commands: one JSON object per line on standard output.
enum JSONLines {
    static func print(_ members: [(String, JSONValue)]) {
        Swift.print(JSONValue.object(JSONObject(members)).jsonText)
    }

    static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
    static func int(_ value: some BinaryInteger) -> JSONValue { .number(.int(Int64(value))) }
    static func double(_ value: Double) -> JSONValue { .number(.double(value)) }
    static func optional(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }

    /// One line per action and per problem of a topic plan.
    static func print(_ plan: TopicPlan) {
        for action in plan.actions {
            switch action {
            case .create(let spec):
                print([
                    ("kind", .string("action")), ("action", .string("create")), ("topic", .string(spec.name)),
                    ("partitions", int(spec.partitions)), ("replication_factor", int(spec.replicationFactor)),
                ])
            case .addPartitions(let topic, let from, let to):
                print([
                    ("kind", .string("action")), ("action", .string("add-partitions")), ("topic", .string(topic)),
                    ("from", int(from)),
                    ("to", int(to)),
                ])
            case .alterConfigs(let topic, let changes):
                print([
                    ("kind", .string("action")), ("action", .string("alter-configs")), ("topic", .string(topic)),
                    (
                        "changes",
                        .array(
                            changes.map {
                                .object(
                                    JSONObject([
                                        ("key", .string($0.key)), ("old", optional($0.old)), ("new", .string($0.new)),
                                    ]))
                            })
                    ),
                ])
            }
        }
        for problem in plan.problems {
            switch problem {
            case .cannotShrink(let topic, let from, let to):
                print([
                    ("kind", .string("problem")), ("problem", .string("cannot-shrink")), ("topic", .string(topic)),
                    ("from", int(from)),
                    ("to", int(to)),
                ])
            case .replicationFactorDiffers(let topic, let existing, let declared):
                print([
                    ("kind", .string("problem")), ("problem", .string("replication-factor-differs")),
                    ("topic", .string(topic)),
                    ("existing", int(existing)), ("declared", int(declared)),
                ])
            }
        }
    }
}
