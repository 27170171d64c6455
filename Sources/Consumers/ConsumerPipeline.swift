import Kafka
import Logging

/// The stages of one consumer group, built once at start. None calls back into the
/// runtime; the chain's park layer reaches the transaction (to release a key's parked
/// events) only through the ``BatchState`` the transaction hands each call:
///
/// 1. ``MessageClassifier`` — its ``MessageStage``s in order: due time, limits, envelope,
///    NUL check, contract known, topic declares the type, route (handler or skip), parse,
///    validate, upcast; skip, wait or dead-letter at once. It hands each event on with its
///    handler already wrapped in
/// 2. the middleware chain (``ConsumerMiddleware``): consume span → dedupe
///    (``DedupeLayer``) → park (``ParkLayer``, order-preserving mode) → savepoint
///    (``SavepointLayer``) → event metrics (``EventMetricsLayer``) → the configuration's
///    middleware → handler span → handler metrics → the plain handler;
/// 3. ``ParkingLot`` — order-preserving mode's tables (storage only);
/// 4. ``BatchTransaction`` — one transaction per batch: the processed-event rows and the
///    blocked keys read once (``BatchState``), then each event through its chain, whose
///    dedupe, park and savepoint layers use them;
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
        parking = configuration.preserveKeyOrder ? ParkingLot(group: group) : nil
        let batchLayers: [any ConsumerMiddleware] =
            [DedupeLayer()] + (parking.map { [ParkLayer(parking: $0)] } ?? []) + [SavepointLayer()]
        let chain = MiddlewareChain(
            layers: [ConsumeSpanLayer()] + batchLayers + [eventMetrics] + configuration.middleware + [
                HandlerSpanLayer(), HandlerMetricsLayer(handlerDuration: instruments.handlerDuration),
            ])
        classifier = MessageClassifier(
            registry: configuration.registry, upcasters: configuration.upcasters,
            handlers: chain.wrap(configuration.handlers), retryDelays: retryDelays,
            ownTopics: [ConsumerConfiguration.replayTopic(group: group)],
            topicTypes: configuration.topicTypes, limits: configuration.limits)
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
