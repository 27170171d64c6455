/// Who publishes and who consumes which event, derived from `topics/*.yaml` and the
/// consumer groups of `consumers/*.yaml`: a Mermaid `flowchart LR` and a table, as Markdown.
///
/// - Publishers: the service named by an events topic's context publishes it
///   (`orders.events` → `orders`); commands topics are published by clients (`choreo publish`,
///   the load generator), outside every service.
/// - Consumers: a group consumes, from each topic it subscribes to, every type it handles and
///   every older version of a type it handles (delivered upcast, e.g. `order.placed.v1` as v2).
///
/// Pure: the same inputs give the same text, so a checked-in copy can be compared with it.
public struct FlowDiagram: Sendable {
    /// What the diagram needs of a consumer group (`consumers/<group>.yaml`).
    public struct Consumer: Sendable, Hashable {
        public var group: String
        public var service: String
        public var topics: [String]
        public var handles: [String]

        public init(group: String, service: String, topics: [String], handles: [String]) {
            self.group = group
            self.service = service
            self.topics = topics
            self.handles = handles
        }
    }

    /// One event type on its home topic, who publishes it and who consumes it.
    public struct Row: Sendable, Hashable {
        public var eventType: String
        public var topic: String
        public var publisher: String
        /// `(group, service, the type the group's handler receives)`, sorted by group.
        public var consumers: [Consumption]
    }

    public struct Consumption: Sendable, Hashable {
        public var group: String
        public var service: String
        /// The type the handler receives: the event type itself, or a newer version it is upcast to.
        public var handledAs: String
    }

    /// The name of the publisher of commands topics.
    public static let clients = "clients"

    public let rows: [Row]

    public init(catalog: TopicCatalog, consumers: [Consumer]) {
        var rows: [Row] = []
        for topic in catalog.topics where topic.kind == .events || topic.kind == .commands {
            let publisher = Self.publisher(of: topic)
            for type in topic.eventTypes.sorted() {
                let consumptions = consumers.sorted { $0.group < $1.group }.compactMap { consumer -> Consumption? in
                    guard consumer.topics.contains(topic.name),
                        let handled = Self.handledVersion(of: type, among: consumer.handles)
                    else { return nil }
                    return Consumption(group: consumer.group, service: consumer.service, handledAs: handled)
                }
                rows.append(Row(eventType: type, topic: topic.name, publisher: publisher, consumers: consumptions))
            }
        }
        self.rows = rows
    }

    /// The service that publishes an events topic, or `clients` for a commands topic.
    static func publisher(of topic: TopicSpec) -> String {
        guard topic.kind == .events, topic.name.hasSuffix(".events") else { return clients }
        return String(topic.name.dropLast(".events".count))
    }

    /// `type` itself if handled, else the newest handled later version of the same event.
    static func handledVersion(of type: String, among handles: [String]) -> String? {
        if handles.contains(type) { return type }
        guard let (event, version) = split(type) else { return nil }
        return
            handles
            .compactMap { handled -> (String, Int)? in
                guard let (name, handledVersion) = split(handled), name == event, handledVersion > version else {
                    return nil
                }
                return (handled, handledVersion)
            }
            .max { $0.1 < $1.1 }?.0
    }

    /// `order.placed.v2` → (`order.placed`, 2).
    static func split(_ type: String) -> (String, Int)? {
        guard TopicSpec.isEventType(type), let range = type.range(of: ".v", options: .backwards),
            let version = Int(type[range.upperBound...])
        else { return nil }
        return (String(type[..<range.lowerBound]), version)
    }

    /// The Mermaid block and the table.
    public var markdown: String {
        mermaid + "\n" + table
    }

    /// A fenced `mermaid` block: publishers → topics → consuming services, edges labelled
    /// with event types.
    public var mermaid: String {
        var lines = ["```mermaid", "flowchart LR"]
        let topics = unique(rows.map(\.topic))
        let services = unique(
            rows.map(\.publisher).filter { $0 != Self.clients } + rows.flatMap { $0.consumers.map(\.service) }
        ).sorted()
        if rows.contains(where: { $0.publisher == Self.clients }) {
            lines.append("  \(Self.clients)[/\"clients: choreo publish, load generator\"/]")
        }
        for service in services { lines.append("  \(Self.id(service: service))[\"\(service)\"]") }
        for topic in topics { lines.append("  \(Self.id(topic: topic))([\"\(topic)\"])") }
        for topic in topics {
            let topicRows = rows.filter { $0.topic == topic }
            guard let publisher = topicRows.first?.publisher else { continue }
            let from = publisher == Self.clients ? Self.clients : Self.id(service: publisher)
            lines.append("  \(from) -->|\"\(Self.label(topicRows.map(\.eventType)))\"| \(Self.id(topic: topic))")
        }
        for topic in topics {
            let consumptions = rows.filter { $0.topic == topic }.flatMap(\.consumers)
            for group in unique(consumptions.map(\.group)).sorted() {
                let mine = consumptions.filter { $0.group == group }
                guard let service = mine.first?.service else { continue }
                lines.append(
                    "  \(Self.id(topic: topic)) -->|\"\(Self.label(mine.map(\.handledAs)))\"| \(Self.id(service: service))"
                )
            }
        }
        lines.append("```")
        return lines.joined(separator: "\n") + "\n"
    }

    /// One row per event type: topic, publisher, consuming groups (service; upcast target).
    public var table: String {
        var lines = [
            "| event type | topic | published by | consumed by (group → service) |",
            "| --- | --- | --- | --- |",
        ]
        for row in rows.sorted(by: { ($0.eventType, $0.topic) < ($1.eventType, $1.topic) }) {
            let consumers =
                row.consumers.isEmpty
                ? "—"
                : row.consumers.map { consumption in
                    let upcast = consumption.handledAs == row.eventType ? "" : " (as `\(consumption.handledAs)`)"
                    return "`\(consumption.group)` → \(consumption.service)\(upcast)"
                }.joined(separator: "<br>")
            lines.append("| `\(row.eventType)` | `\(row.topic)` | \(row.publisher) | \(consumers) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func id(service: String) -> String { "svc_" + identifier(service) }
    static func id(topic: String) -> String { "topic_" + identifier(topic) }

    /// Mermaid node ids: letters, digits and `_` only.
    static func identifier(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    static func label(_ types: [String]) -> String { unique(types).sorted().joined(separator: "<br>") }
}

/// The elements in first-seen order, without repeats.
private func unique(_ items: [String]) -> [String] {
    var seen: Set<String> = []
    return items.filter { seen.insert($0).inserted }
}
