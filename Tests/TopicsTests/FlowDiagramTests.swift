import Foundation
import Testing
import Topics

@Suite("Flow diagram (choreo docs flow) and generated sections")
struct FlowDiagramTests {
    static func catalog() throws -> TopicCatalog {
        try TopicCatalog(topics: [
            TopicSpec(name: "orders.commands", kind: .commands, partitions: 1, eventTypes: ["order.place.v1"]),
            TopicSpec(
                name: "orders.events", kind: .events, partitions: 1,
                eventTypes: ["order.placed.v1", "order.placed.v2", "order.cancelled.v1"]),
            TopicSpec(name: "stock.events", kind: .events, partitions: 1, eventTypes: ["stock.reserved.v1"]),
            TopicSpec(name: "shop-service.dlq", kind: .deadLetter, partitions: 1),
        ])
    }

    static let consumers = [
        FlowDiagram.Consumer(
            group: "stock-service", service: "stock", topics: ["orders.events"], handles: ["order.placed.v2"]),
        FlowDiagram.Consumer(
            group: "orders-service", service: "orders", topics: ["orders.commands", "stock.events"],
            handles: ["order.place.v1", "stock.reserved.v1"]),
        // Subscribed to orders.events but handles nothing it carries: no edge.
        FlowDiagram.Consumer(
            group: "idle", service: "idle", topics: ["orders.events"], handles: ["stock.reserved.v1"]),
    ]

    @Test("publishers come from the topic's context (clients for commands), consumers from their groups")
    func rows() throws {
        let flow = FlowDiagram(catalog: try Self.catalog(), consumers: Self.consumers)
        let byType = Dictionary(uniqueKeysWithValues: flow.rows.map { ($0.eventType, $0) })
        #expect(
            Set(byType.keys) == [
                "order.place.v1", "order.placed.v1", "order.placed.v2", "order.cancelled.v1",
                "stock.reserved.v1",
            ])
        #expect(byType["order.place.v1"]?.publisher == FlowDiagram.clients)
        #expect(byType["order.placed.v2"]?.publisher == "orders")
        #expect(byType["stock.reserved.v1"]?.publisher == "stock")
        #expect(byType["order.place.v1"]?.consumers.map(\.group) == ["orders-service"])
        #expect(byType["stock.reserved.v1"]?.consumers.map(\.service) == ["orders"])
        #expect(byType["order.cancelled.v1"]?.consumers.isEmpty == true)
        // v1 still in the topic reaches the v2 handler upcast.
        let v1 = try #require(byType["order.placed.v1"]?.consumers.first)
        #expect(v1.group == "stock-service" && v1.handledAs == "order.placed.v2")
        #expect(byType["order.placed.v2"]?.consumers.first?.handledAs == "order.placed.v2")
    }

    @Test("the Markdown has a Mermaid flowchart with labelled edges and a table row per event type")
    func markdown() throws {
        let flow = FlowDiagram(catalog: try Self.catalog(), consumers: Self.consumers)
        let text = flow.markdown
        #expect(text.hasPrefix("```mermaid\nflowchart LR\n"))
        #expect(text.contains("  clients -->|\"order.place.v1\"| topic_orders_commands\n"))
        #expect(
            text.contains(
                "  svc_orders -->|\"order.cancelled.v1<br>order.placed.v1<br>order.placed.v2\"| topic_orders_events\n"))
        #expect(text.contains("  topic_orders_events -->|\"order.placed.v2\"| svc_stock\n"))
        #expect(text.contains("  topic_stock_events -->|\"stock.reserved.v1\"| svc_orders\n"))
        #expect(!text.contains("svc_idle"))
        #expect(!text.contains("shop-service.dlq"))
        #expect(
            text.contains(
                "| `order.placed.v1` | `orders.events` | orders | `stock-service` → stock (as `order.placed.v2`) |\n"))
        #expect(text.contains("| `order.cancelled.v1` | `orders.events` | orders | — |\n"))
        // Pure: the same inputs give the same text whatever the order of the groups.
        let reordered = FlowDiagram(catalog: try Self.catalog(), consumers: Self.consumers.reversed())
        #expect(reordered.markdown == text)
    }

    @Test("a generated section is read and replaced between its markers; the rest of the document stays")
    func generatedSection() throws {
        let section = GeneratedSection.flow
        let document = "# Title\n\nintro\n\(section.begin)\nold\ntext\n\(section.end)\n\nafter\n"
        #expect(section.extract(from: document) == "old\ntext\n")
        let updated = try section.replace(in: document, with: "new")
        #expect(updated == "# Title\n\nintro\n\(section.begin)\nnew\n\(section.end)\n\nafter\n")
        #expect(section.extract(from: updated) == "new\n")
        let emptied = try section.replace(in: document, with: "")
        #expect(emptied == "# Title\n\nintro\n\(section.begin)\n\(section.end)\n\nafter\n")
        #expect(section.extract(from: emptied) == "")
        #expect(section.extract(from: "no markers\n") == nil)
        #expect(section.extract(from: "\(section.end)\n\(section.begin)\n") == nil)
        #expect(throws: TopicError.self) { try section.replace(in: "\(section.begin)\nunclosed\n", with: "x") }
    }
}
