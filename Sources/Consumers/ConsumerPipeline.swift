import Kafka
import Logging

/// The stages of one consumer group, built once at start. Each depends only on those
/// listed before it; none calls back into the runtime:
///
/// 1. ``MessageClassifier`` — its ``MessageStage``s in order: due time, limits, envelope,
///    NUL check, contract known, topic declares the type, route (handler or skip), parse,
///    validate, upcast; skip, wait or dead-letter at once. It hands each event on with its
///    handler already wrapped in
/// 2. the middleware chain (``ConsumerMiddleware``): consume span → event metrics
///    (``EventMetricsLayer``) → the configuration's middleware → handler span → handler
///    metrics → the plain handler;
/// 3. ``ParkingLot`` — order-preserving mode's tables (storage only);
/// 4. ``BatchTransaction`` — dedupe (processed-event rows) and park, then each new event
///    through its chain, in one transaction per batch (its duplicates and parked events
///    counted by ``EventMetricsLayer`` when it commits);
/// 5. ``FailureRouter`` — a failed or rejected message → its retry or dead letter.
///
/// The runtime polls, runs the stages in that order for each batch (inside
/// ``BatchMetricsLayer``), publishes what the router built, and commits offsets.
struct ConsumerPipeline: Sendable {
    let classifier: MessageClassifier
    let parking: ParkingLot?
    let transaction: BatchTransaction
    let router: FailureRouter

    init(configuration: ConsumerConfiguration, instruments: ConsumerInstruments, logger: Logger) {
        let group = configuration.group
        let retryDelays = Dictionary(
            configuration.retry.delays.map { (RetryPolicy.retryTopic(group: group, delay: $0), $0) },
            uniquingKeysWith: { first, _ in first })
        let eventMetrics = EventMetricsLayer(instruments: instruments)
        let chain = MiddlewareChain(
            layers: [ConsumeSpanLayer(), eventMetrics] + configuration.middleware + [
                HandlerSpanLayer(), HandlerMetricsLayer(handlerDuration: instruments.handlerDuration),
            ])
        classifier = MessageClassifier(
            registry: configuration.registry, upcasters: configuration.upcasters,
            handlers: chain.wrap(configuration.handlers), retryDelays: retryDelays,
            ownTopics: [ConsumerConfiguration.replayTopic(group: group)],
            topicTypes: configuration.topicTypes, limits: configuration.limits)
        parking = configuration.preserveKeyOrder ? ParkingLot(group: group) : nil
        transaction = BatchTransaction(
            group: group, writer: configuration.writer, optimistic: configuration.optimisticBatches,
            parking: parking, classifier: classifier, eventMetrics: eventMetrics, logger: logger)
        let producerLimits = KafkaProducerConfiguration(client: configuration.kafka)
        router = FailureRouter(
            group: group, retry: configuration.retry, deadLetterTopic: configuration.resolvedDeadLetterTopic,
            retryDelays: retryDelays, maxMessageBytes: producerLimits.maxMessageBytes,
            maxHeaderBytes: producerLimits.maxHeaderBytes)
    }
}
