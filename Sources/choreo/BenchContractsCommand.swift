import ArgumentParser
import Contracts
import Foundation
import Kafka

/// `choreo bench contracts`: validation and envelope throughput on one core.
struct BenchContractsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contracts",
        abstract: "Validations/s of an order.placed.v1 event against its contract, and envelope encode/decode cost."
    )

    @OptionGroup var root: RootOptions

    @Option(help: "Iterations of each measurement.")
    var iterations: Int = 200_000

    func validate() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
    }

    func run() throws {
        let registry = try ContractRegistry(directory: root.projectRoot.contracts)
        let type = EventType(name: "order.placed", version: 1)
        guard let contract = registry.contract(for: type), let example = contract.examples.first else {
            throw ValidationError(
                "contracts/order.placed/v1.schema.json with an example is needed (run from the project root)")
        }
        // A typical order: three lines.
        let text = """
            {"orderId":"5b0c6c0e-8d2a-4c1e-9f3b-2a7d1e4c9b10","customerId":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",\
            "items":[{"sku":"SKU-RED-42","quantity":2,"unitPrice":19.99},{"sku":"SKU-BLUE-7","quantity":1,"unitPrice":5.5},\
            {"sku":"SKU-GREEN-1","quantity":3,"unitPrice":1.25}],"total":49.23,"placedAt":"2026-11-23T10:00:00Z"}
            """
        let bytes = Array(text.utf8)
        let document = try JSONValue(parsing: bytes)
        guard contract.schema.isValid(document), contract.schema.isValid(example) else {
            throw ValidationError("the benchmark event does not validate")
        }
        func rate(_ body: () throws -> Void) rethrows -> Double {
            let start = ContinuousClock.now
            for _ in 0..<iterations { try body() }
            return Double(iterations) / (ContinuousClock.now - start).seconds
        }
        var sink = 0
        let validations = rate { sink &+= contract.schema.validate(document).count }
        let parseAndValidate = try rate { sink &+= contract.schema.validate(try JSONValue(parsing: bytes)).count }
        let envelope = EventEnvelope(
            type: type, source: "/services/orders", subject: "5b0c6c0e-8d2a-4c1e-9f3b-2a7d1e4c9b10",
            correlationID: "flow",
            causationID: "cause", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        let encode = rate { sink &+= envelope.kafkaHeaders().count }
        let headers = envelope.kafkaHeaders()
        let decode = try rate { sink &+= try EventEnvelope(kafkaHeaders: headers).source.utf8.count }
        print("validate order.placed.v1 (parsed): \(Int(validations)) /s on one core")
        print("parse + validate from bytes:        \(Int(parseAndValidate)) /s")
        print("envelope encode (headers):          \(Int(encode)) /s")
        print("envelope decode:                    \(Int(decode)) /s")
        // Regular expressions on attacker data: 100,000 characters against patterns that make a
        // backtracking engine explode (the slowest of 5 runs).
        var patternMillis: [String: Double] = [:]
        for (pattern, input) in [
            ("^(a+)+$", String(repeating: "a", count: 100_000) + "!"),
            ("^[A-Z]+[A-Z0-9]*$", String(repeating: "A", count: 100_000) + "!"),
        ] {
            let schema = try JSONSchema(JSONValue.object(JSONObject([("pattern", .string(pattern))])))
            var slowest = 0.0
            for _ in 0..<5 {
                let start = ContinuousClock.now
                sink &+= schema.isValid(.string(input)) ? 1 : 0
                slowest = max(slowest, (ContinuousClock.now - start).seconds * 1000)
            }
            patternMillis[pattern] = slowest
            print("pattern \(pattern) on 100,000 characters: \(String(format: "%.1f", slowest)) ms (slowest of 5)")
        }
        if sink == -1 { print("") }  // keeps the work observable
        print(
            try JSONLine.render([
                "benchmark": "contracts", "iterations": iterations, "validations_per_s": Int(validations),
                "parse_and_validate_per_s": Int(parseAndValidate), "envelope_encode_per_s": Int(encode),
                "envelope_decode_per_s": Int(decode),
                "pattern_nested_plus_100k_ms": patternMillis["^(a+)+$"] ?? 0,
                "pattern_upper_run_100k_ms": patternMillis["^[A-Z]+[A-Z0-9]*$"] ?? 0,
            ]))
    }
}
