import Foundation
import Yams

/// Every topic declared in `topics/*.yaml`.
public struct TopicCatalog: Sendable {
    public let topics: [TopicSpec]

    public init(topics: [TopicSpec]) throws {
        var seen: Set<String> = []
        for topic in topics where !seen.insert(topic.name).inserted {
            throw TopicError(file: topic.name, message: "topic \(topic.name) is declared twice")
        }
        var carriers: [String: String] = [:]
        for topic in topics where topic.kind == .events || topic.kind == .commands {
            for type in topic.eventTypes {
                if let other = carriers[type] {
                    throw TopicError(
                        file: topic.name,
                        message: "\(type) is carried by both \(other) and \(topic.name); a type has one home topic")
                }
                carriers[type] = topic.name
            }
        }
        self.topics = topics.sorted { $0.name < $1.name }
    }

    /// Loads every `*.yaml`/`*.yml` file of `directory` (one topic per file).
    /// - Throws: `TopicError` naming the file and the field to fix.
    public static func load(directory: URL) throws -> TopicCatalog {
        guard let files = try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        else {
            throw TopicError(file: directory.path, message: "cannot read the topics directory")
        }
        var topics: [TopicSpec] = []
        for file in files.sorted(by: { $0.lastPathComponent < $1.lastPathComponent })
        where ["yaml", "yml"].contains(file.pathExtension) {
            topics.append(try load(file: file))
        }
        return try TopicCatalog(topics: topics)
    }

    /// Parses and checks one topic file.
    public static func load(file: URL) throws -> TopicSpec {
        let name = file.lastPathComponent
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw TopicError(file: name, message: "cannot read the file")
        }
        let spec: TopicSpec
        do {
            spec = try YAMLDecoder().decode(TopicSpec.self, from: text)
        } catch let DecodingError.keyNotFound(key, _) {
            throw TopicError(file: name, message: "\(key.stringValue): required field is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw TopicError(
                file: name,
                message: "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch {
            throw TopicError(file: name, message: "not a topic spec: \(error)")
        }
        let problems = spec.problems()
        guard problems.isEmpty else { throw TopicError(file: name, message: problems.joined(separator: "; ")) }
        return spec
    }

    public func topic(named name: String) -> TopicSpec? { topics.first { $0.name == name } }

    /// The events or commands topic that carries `eventType` (`order.placed.v1`).
    public func topic(carrying eventType: String) -> TopicSpec? {
        topics.first { ($0.kind == .events || $0.kind == .commands) && $0.eventTypes.contains(eventType) }
    }

    /// Every event type named by a topic.
    public var eventTypes: Set<String> { Set(topics.flatMap(\.eventTypes)) }
}

/// A topic file that cannot be used, with the file and what to fix.
public struct TopicError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { "\(file): \(message)" }
}
