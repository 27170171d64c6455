import Contracts
import Kafka
import Outbox
import Postgres

/// Everything one consumer-group instance needs. Defaults suit a service consuming its
/// topics with batches of up to 500 events.
public struct ConsumerConfiguration: Sendable {
    /// The Kafka consumer group id.
    public var group: String
    /// Main topics to subscribe to. The group's retry topics are added automatically.
    public var topics: [String]
    /// Handlers per event type.
    public var handlers: EventHandlers
    /// Contracts for validation and upcasting.
    public var registry: ContractRegistry
    /// `vN → vN+1` transforms; a handler registered for vN+1 also receives upcast vN events.
    public var upcasters: Upcasters
    /// Events emitted by handlers go through this writer (optional).
    public var writer: OutboxWriter?
    /// The service database (processed events, handler effects, outbox).
    public var database: PostgresConfiguration
    /// The Kafka client settings (bootstrap servers, security).
    public var kafka: KafkaConfiguration
    /// Most events handled in one database transaction (default 500).
    public var batchSize: Int = 500
    /// How long one poll waits for the first message (default 100 ms).
    public var pollTimeout: Duration = .milliseconds(100)
    /// The longest the broker may hold a fetch that finds no new data (`fetch.wait.max.ms`;
    /// default 10 ms, librdkafka's is 500 ms). Each consumer is one hop of a choreography,
    /// and a broker that answers an empty fetch only when this wait is over — the embedded
    /// broker always does — adds up to it to every hop (500 ms made an order's five hops
    /// take seconds; see `docs/benchmarks.md`). Real Kafka answers as soon as data arrives,
    /// so there the wait only sets how often an idle consumer fetches: about 100 requests/s
    /// per broker at 10 ms; raise it with many idle consumers. 1 ms…10 s.
    public var fetchMaxWait: Duration = .milliseconds(10)
    /// Retry topics and delays.
    public var retry: RetryPolicy = RetryPolicy()
    /// The dead-letter topic; default `<group>.dlq`.
    public var deadLetterTopic: String?
    /// Backoff of in-place retries during outages (database or broker unreachable).
    public var initialBackoff: Duration = .milliseconds(200)
    public var maximumBackoff: Duration = .seconds(10)
    /// Order-preserving mode: while an event of key K is in retry or dead letter, later
    /// events of K are parked in the database and applied after it, in order.
    public var preserveKeyOrder: Bool = false
    /// Run the batch optimistically without per-event savepoints and redo it with them only
    /// when a handler fails (default true; faster when failures are rare).
    public var optimisticBatches: Bool = true
    /// Delete this group's processed-event rows older than this, once an hour (`nil`: never).
    /// Must exceed the retention of every topic read and the longest a dead letter waits for
    /// replay; see `ProcessedEventsCleanup`.
    public var processedRetention: Duration?
    /// How long one retry or dead-letter publication may take, broker retries included
    /// (`message.timeout.ms` of the runtime's producer; default 30 s). After it, the message's
    /// partition is held back and the publication retried with backoff.
    public var publishTimeout: Duration = .seconds(30)
    /// What the consumer accepts (message size, header count and size); over it, a message is
    /// dead-lettered as `oversized`, cut down.
    public var limits: MessageLimits = MessageLimits()
    /// The event types each topic declares (`topics/*.yaml` `eventTypes`, like
    /// `order.placed.v1`). A type arriving on a listed topic that does not declare it is
    /// dead-lettered as `wrong-topic`; the group's own retry and replay topics may carry any
    /// type it handles. `nil` (the default): no check.
    public var topicTypes: [String: Set<String>]?
    /// The group's own middleware, outermost first: layers around every handler call, inside
    /// the runtime's consume span and outside its handler span (see ``ConsumerMiddleware``).
    /// Empty by default. Add with ``use(_:)-swift.method``.
    public var middleware: [any ConsumerMiddleware] = []
    /// Test hook: called right after a transaction that recorded the retry of a released
    /// parked event commits, before it is published (process tests kill -9 there).
    public var _afterParkedPublicationCommit: (@Sendable () -> Void)?
    /// Kafka consumer settings beyond the client's: session timeout, assignment strategy.
    public var sessionTimeout: Duration = .seconds(10)
    /// How long a graceful stop waits for the batch in progress (default 5 s). After it, the
    /// runtime closes its database connection, so a statement stuck on a hung database
    /// fails, nothing is committed (the batch is redelivered to the group) and `run()`
    /// returns. See `docs/consumers.md#timeouts`.
    public var shutdownGracePeriod: Duration = .seconds(5)

    public init(
        group: String,
        topics: [String],
        handlers: EventHandlers,
        registry: ContractRegistry,
        upcasters: Upcasters = Upcasters(),
        writer: OutboxWriter? = nil,
        database: PostgresConfiguration,
        kafka: KafkaConfiguration
    ) {
        self.group = group
        self.topics = topics
        self.handlers = handlers
        self.registry = registry
        self.upcasters = upcasters
        self.writer = writer
        self.database = database
        self.kafka = kafka
    }

    /// Adds `layer` inside the middleware added before it.
    public mutating func use(_ layer: some ConsumerMiddleware) { middleware.append(layer) }

    /// Adds a closure layer inside the middleware added before it: it receives the event,
    /// the handler context and `next`, the rest of the chain (see ``ConsumerMiddleware``).
    public mutating func use(
        _ body: @escaping @Sendable (ConsumedEvent, HandlerContext, _ next: EventHandler) async throws -> Void
    ) {
        middleware.append(ClosureMiddleware(body))
    }

    /// `<group>.dlq` unless set.
    public var resolvedDeadLetterTopic: String { deadLetterTopic ?? RetryPolicy.deadLetterTopic(group: group) }

    /// `<group>.replay`: where a dead-letter tool replays the group's events. Like the retry
    /// topics, it may carry any type the group handles.
    public static func replayTopic(group: String) -> String { RetryPolicy.replayTopic(group: group) }

    /// The retry topics, in attempt order.
    public var retryTopics: [String] { retry.delays.map { RetryPolicy.retryTopic(group: group, delay: $0) } }

    func validated() throws -> ConsumerConfiguration {
        guard !group.isEmpty else { throw ConsumerError(code: .configuration, message: "group must not be empty") }
        guard !topics.isEmpty else {
            throw ConsumerError(code: .configuration, message: "\(group): no topics to consume")
        }
        guard (1...10_000).contains(batchSize) else {
            throw ConsumerError(code: .configuration, message: "\(group): batchSize must be 1…10000, got \(batchSize)")
        }
        guard !handlers.entries.isEmpty else {
            throw ConsumerError(code: .configuration, message: "\(group): no handlers registered")
        }
        guard limits.maxMessageBytes > 0, limits.maxHeaderCount > 0, limits.maxHeaderBytes > 0 else {
            throw ConsumerError(code: .configuration, message: "\(group): message limits must be positive")
        }
        guard fetchMaxWait >= .milliseconds(1), fetchMaxWait <= .seconds(10) else {
            throw ConsumerError(code: .configuration, message: "\(group): fetchMaxWait must be 1 ms…10 s")
        }
        guard publishTimeout > .zero else {
            throw ConsumerError(code: .configuration, message: "\(group): publishTimeout must be positive")
        }
        for type in handlers.types where registry.contract(for: type) == nil {
            throw ConsumerError(code: .configuration, message: "\(group): no contract for handled type \(type)")
        }
        return self
    }
}
