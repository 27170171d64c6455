/// A type its topic does not declare: dead-letter it (`wrong-topic`). The group's own
/// topics (retry, replay) may carry any type it handles, and topics without a declaration
/// are not checked.
struct TopicTypeStage: MessageStage {
    /// The group's own topics.
    let ownTopics: Set<String>
    /// The types each topic declares.
    let topicTypes: [String: Set<String>]

    func apply(_ message: inout IncomingMessage) -> MessageClassifier.Classification? {
        guard let envelope = message.envelope else { return message.missing("envelope") }
        let topic = message.message.topic
        guard !ownTopics.contains(topic), let declared = topicTypes[topic],
            !declared.contains(envelope.type.description)
        else { return nil }
        return message.deadLetter(.wrongTopic, "\(envelope.type) is not declared for topic \(topic)")
    }
}
