import Consumers
import Services
import Topics

/// Every topic the project needs: `topics/*.yaml`, plus each group's retry, dead-letter
/// and replay topics derived from `consumers/*.yaml` (a file in `topics/` overrides).
enum ProjectTopics {
    static func all(catalog: TopicCatalog, root: ProjectRoot) throws -> [TopicSpec] {
        try catalog.withGroupTopics(of: try ConsumerGroupSpec.loadAll(root.consumers))
    }
}
