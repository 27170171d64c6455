import Foundation
import Kafka
import Outbox
import Postgres

extension ConsumerRuntime {
    struct BatchPlan {
        var items: [BatchItem] = []
        var outgoing: [Outgoing] = []
        var commitOffsets: [KafkaTopicPartition: Int64] = [:]
    }

    /// One batch: classify, one database transaction, publish retries and dead letters,
    /// commit offsets. Returns the offsets committed (or meant to be).
    @discardableResult
    func process(_ messages: [KafkaConsumerMessage], consumer: KafkaConsumer, state: inout LoopState) async throws
        -> [KafkaTopicPartitionOffset]
    {
        try await BatchMetricsLayer(instruments: instruments).around(messages, consumer: consumer) {
            try await processBatch(messages, consumer: consumer, state: &state)
        }
    }

    private func processBatch(
        _ messages: [KafkaConsumerMessage], consumer: KafkaConsumer, state: inout LoopState
    ) async throws -> [KafkaTopicPartitionOffset] {
        var plan = BatchPlan()
        var cut: Set<KafkaTopicPartition> = []
        let now = Date()
        var skipped = 0
        var controls: [ReplayControl] = []
        for message in messages {
            let partition = KafkaTopicPartition(topic: message.topic, partition: message.partition)
            if cut.contains(partition) { continue }
            if let control = control(in: message) {
                if let control { controls.append(control) }
                plan.commitOffsets[partition] = message.offset + 1
                continue
            }
            switch classifier.classify(message, now: now) {
            case .notDue(let due):
                // Wait for it without blocking other partitions: rewind and pause this one.
                cut.insert(partition)
                plan.commitOffsets[partition] = message.offset
                state.pausedUntil[partition] = due
                try consumer.seek(
                    KafkaTopicPartitionOffset(
                        topic: message.topic, partition: message.partition, offset: message.offset))
                try consumer.pause([partition])
                continue
            case .deadLetter(let reason, let error, let attempt, let eventID):
                plan.outgoing.append(router.deadLetter(message, reason: reason, error: error, attempts: attempt))
                // Order-preserving mode: a dead-lettered event blocks its key too — unless it
                // does not belong to the topic's stream at all (wrong-topic).
                if configuration.preserveKeyOrder, reason != .wrongTopic, let key = ParkingLot.usableKey(message.key) {
                    plan.items.append(.deadLettered(key: key, id: eventID ?? ParkingLot.blockerID(for: message)))
                }
            case .skip:
                skipped += 1
            case .handle(let event, let handler):
                plan.items.append(.event(PlannedEvent(event: event, handler: handler, message: message)))
            }
            plan.commitOffsets[partition] = message.offset + 1
        }
        if skipped > 0 {
            stats.withLock { $0.skipped += skipped }
            instruments.skippedNotHandled.increment(by: skipped)
        }
        var parkedPublications = 0
        if !plan.items.isEmpty {
            let database = try await connection(&state)
            // The whole batch runs on the connection's own thread: handlers' statements call
            // libpq directly instead of hopping threads twice per statement.
            let transaction = batchTransaction
            let items = plan.items
            let results = try await withTaskExecutorPreference(database.executor) {
                try await transaction.run(items, on: database)
            }
            parkedPublications = results.parkedPublications
            stats.withLock {
                $0.handled += results.handled
                $0.duplicates += results.duplicates
                $0.parked += results.parked
                if results.redone { $0.batchRedos += 1 }
            }
            for failure in results.failures {
                plan.outgoing.append(route(failure))
            }
        }
        try await apply(controls, state: &state)
        if parkedPublications > 0 {
            configuration._afterParkedPublicationCommit?()
            await publishParked(state: &state)
        }
        if !plan.outgoing.isEmpty {
            let undelivered = try await deliver(plan.outgoing, state: &state)
            holdBack(undelivered, consumer: consumer, plan: &plan, state: &state)
        }
        let offsets = plan.commitOffsets.map {
            KafkaTopicPartitionOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value)
        }
        if !offsets.isEmpty {
            do {
                try await consumer.commit(offsets)
            } catch {
                // The effects are committed in the database; a lost offset commit (a rebalance
                // moved the partitions, or the coordinator is unreachable) only means these
                // messages may be redelivered, and the processed-event rows make that harmless.
                logger.info(
                    "offset commit failed; the batch may be redelivered and skipped as duplicates",
                    metadata: ["group": "\(configuration.group)", "error": "\(error)"])
            }
        }
        stats.withLock { $0.batches += 1 }
        return offsets
    }

    /// A failed handler call → its retry or dead letter.
    func route(_ failure: BatchTransaction.Failure) -> Outgoing {
        var outgoing = router.route(
            failure.planned.message, attempt: failure.planned.event.attempt, error: failure.error,
            isPermanent: failure.isPermanent)
        outgoing.traceContext = failure.traceContext
        return outgoing
    }

    /// Publishes `outgoing` and waits for every delivery. A message the producer refuses for
    /// good is replaced by its cut-down dead letter; after a fatal producer error the producer
    /// is recreated and the undelivered messages sent again. Returns the messages that could
    /// not be delivered for now (transient causes, or a dead-letter topic that refuses even
    /// cut-down dead letters), with their errors.
    func deliver(_ outgoing: [Outgoing], state: inout LoopState) async throws -> [(Outgoing, KafkaError)] {
        var outgoing = outgoing
        var pending = Array(outgoing.indices)
        var undelivered: [(Outgoing, KafkaError)] = []
        var recreations = 0
        while !pending.isEmpty {
            let results = await state.producer.sendBatch(pending.map { outgoing[$0].message })
            var again: [Int] = []
            var fatal: KafkaError?
            for (index, result) in zip(pending, results) {
                switch result {
                case .success:
                    stats.withLock { if outgoing[index].isDeadLetter { $0.deadLettered += 1 } else { $0.retried += 1 } }
                    if let letter = outgoing[index].deadLetter {
                        instruments.deadLettered(reason: letter.reason)
                    } else {
                        instruments.retried.increment()
                    }
                    logDelivered(outgoing[index])
                    DeadLetterSpan.record(outgoing[index], group: configuration.group)
                case .failure(let error) where error.isFatal || error.code == .fatal:
                    fatal = error
                    again.append(index)
                case .failure(let error) where error.isPermanentForMessage:
                    guard outgoing[index].kind != .cutDownDeadLetter else {
                        // The dead-letter topic itself refuses records (it does not exist, or
                        // refuses even 4 KiB): a configuration error. Hold the partition back
                        // and say so loudly; the other partitions flow on.
                        logger.error(
                            "the dead-letter topic refuses even a cut-down dead letter; holding back its partition",
                            metadata: [
                                "group": "\(configuration.group)", "topic": "\(router.deadLetterTopic)",
                                "error": "\(error)",
                            ])
                        undelivered.append((outgoing[index], error))
                        continue
                    }
                    logger.warning(
                        "the producer refuses a \(outgoing[index].isDeadLetter ? "dead letter" : "retry") for good; sending its cut-down dead letter",
                        metadata: ["group": "\(configuration.group)", "error": "\(error)"])
                    outgoing[index] = router.instead(of: outgoing[index], refusedWith: error)
                    again.append(index)
                case .failure(let error):
                    undelivered.append((outgoing[index], error))
                }
            }
            if let fatal {
                recreations += 1
                guard recreations <= 3 else {
                    undelivered += again.map { (outgoing[$0], fatal) }
                    break
                }
                try await recreateProducer(after: fatal, state: &state)
            }
            pending = again
        }
        return undelivered
    }

    private func logDelivered(_ outgoing: Outgoing) {
        var metadata = EventLogMetadata.of(headers: outgoing.source.headers)
        metadata["group"] = "\(configuration.group)"
        guard let letter = outgoing.deadLetter else {
            metadata["topic"] = "\(outgoing.message.topic)"
            logger.info("sent an event to its retry topic", metadata: metadata)
            return
        }
        metadata.merge([
            "reason": "\(letter.reason)", "topic": "\(letter.originalTopic)",
            "partition": "\(letter.originalPartition)", "offset": "\(letter.originalOffset)",
            "cutDown": "\(outgoing.kind == .cutDownDeadLetter)",
        ]) { _, new in new }
        logger.warning("dead-lettered a message", metadata: metadata)
    }

    /// Replaces the producer after a fatal error (librdkafka 2.0.2 can raise a spurious
    /// OUT_OF_ORDER_SEQUENCE): the old one can deliver nothing any more.
    func recreateProducer(after error: KafkaError, state: inout LoopState) async throws {
        logger.warning(
            "fatal producer error; recreating the producer",
            metadata: ["group": "\(configuration.group)", "error": "\(error)"])
        let old = state.producer
        let fresh = try makeProducer()
        state.producer = fresh
        producerBox.withLock { $0 = fresh }
        stats.withLock { $0.producerRecreations += 1 }
        instruments.producerRecreations.increment()
        await old.shutdown()
    }

    /// After a transient publish failure: the failed message's partition is committed only
    /// up to it, rewound to it and paused for a growing backoff; other partitions of the
    /// batch commit and flow on. The rewound messages come back as duplicates (skipped),
    /// except the failed one, whose processed row was not kept: it is handled again.
    func holdBack(
        _ undelivered: [(Outgoing, KafkaError)], consumer: KafkaConsumer, plan: inout BatchPlan,
        state: inout LoopState
    ) {
        var rewindTo: [KafkaTopicPartition: Int64] = [:]
        var errors: [KafkaTopicPartition: KafkaError] = [:]
        for (item, error) in undelivered {
            let partition = KafkaTopicPartition(topic: item.source.topic, partition: item.source.partition)
            rewindTo[partition] = min(rewindTo[partition] ?? item.source.offset, item.source.offset)
            errors[partition] = error
        }
        for partition in plan.commitOffsets.keys where rewindTo[partition] == nil {
            state.publishFailures[partition] = nil
        }
        let now = Date()
        for (partition, offset) in rewindTo {
            plan.commitOffsets[partition] = min(plan.commitOffsets[partition] ?? offset, offset)
            let previous = state.publishFailures[partition]
            let backoff =
                previous.map { min($0.backoff * 2, configuration.maximumBackoff) } ?? configuration.initialBackoff
            let count = (previous?.count ?? 0) + 1
            state.publishFailures[partition] = (count, backoff)
            state.pausedUntil[partition] = now.addingTimeInterval(backoff.timeInterval)
            stats.withLock { $0.publishRetries += 1 }
            instruments.publishRetries.increment()
            logger.warning(
                "cannot publish a retry or dead letter for now; holding back its partition",
                metadata: [
                    "group": "\(configuration.group)", "partition": "\(partition)", "attempt": "\(count)",
                    "backoff": "\(backoff)", "error": "\(errors[partition].map { "\($0)" } ?? "")",
                ])
            try? consumer.seek(
                KafkaTopicPartitionOffset(topic: partition.topic, partition: partition.partition, offset: offset))
            try? consumer.pause([partition])
        }
    }
}
