import CRdKafka

extension KafkaAdmin {
    /// Creates topics. Throws `.topicAlreadyExists` (for the first such topic), `.brokerUnsupported`
    /// against the embedded broker, `.timeout`, or `.admin`.
    public func createTopics(_ specs: [KafkaTopicSpecification], timeout: Duration) async throws {
        guard !specs.isEmpty else { return }
        try await runAdmin("CreateTopics", timeout: timeout) { rk, options, queue in
            var errstr = [CChar](repeating: 0, count: 512)
            var topics: [OpaquePointer?] = []
            defer { for topic in topics { rd_kafka_NewTopic_destroy(topic) } }
            for spec in specs {
                guard
                    let topic = rd_kafka_NewTopic_new(
                        spec.name, Int32(clamping: spec.partitions), Int32(clamping: spec.replicationFactor), &errstr,
                        errstr.count)
                else {
                    throw KafkaError(
                        code: .invalidArgument,
                        message:
                            "invalid topic specification \(spec.name): \(string(fromCBuffer: errstr))"
                    )
                }
                topics.append(topic)
                for (key, value) in spec.configs.sorted(by: { $0.key < $1.key }) {
                    let err = rd_kafka_NewTopic_set_config(topic, key, value)
                    if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                        throw KafkaError.rd(err, "invalid topic config `\(key)`", default: .configuration)
                    }
                }
            }
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout.timeoutMilliseconds, &errstr, errstr.count)
            topics.withUnsafeMutableBufferPointer {
                rd_kafka_CreateTopics(rk, $0.baseAddress, $0.count, options, queue)
            }
        } results: { event in
            var count = 0
            let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
            return Self.topicResults(results, count)
        }
    }

    /// Deletes topics.
    public func deleteTopics(_ names: [String], timeout: Duration) async throws {
        guard !names.isEmpty else { return }
        try await runAdmin("DeleteTopics", timeout: timeout) { rk, options, queue in
            var topics: [OpaquePointer?] = names.map { rd_kafka_DeleteTopic_new($0) }
            defer { for topic in topics { rd_kafka_DeleteTopic_destroy(topic) } }
            topics.withUnsafeMutableBufferPointer {
                rd_kafka_DeleteTopics(rk, $0.baseAddress, $0.count, options, queue)
            }
        } results: { event in
            var count = 0
            let results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count)
            return Self.topicResults(results, count)
        }
    }

    /// Grows a topic to `totalCount` partitions.
    public func createPartitions(topic: String, totalCount: Int, timeout: Duration) async throws {
        try await runAdmin("CreatePartitions", timeout: timeout) { rk, options, queue in
            var errstr = [CChar](repeating: 0, count: 512)
            guard let parts = rd_kafka_NewPartitions_new(topic, totalCount, &errstr, errstr.count) else {
                throw KafkaError(
                    code: .invalidArgument,
                    message:
                        "invalid partition count for \(topic): \(string(fromCBuffer: errstr))"
                )
            }
            defer { rd_kafka_NewPartitions_destroy(parts) }
            var list: [OpaquePointer?] = [parts]
            list.withUnsafeMutableBufferPointer { rd_kafka_CreatePartitions(rk, $0.baseAddress, 1, options, queue) }
        } results: { event in
            var count = 0
            let results = rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(event), &count)
            return Self.topicResults(results, count)
        }
    }

    /// Sets topic configs (non-incremental AlterConfigs: unspecified keys revert to defaults).
    public func alterTopicConfigs(topic: String, configs: [String: String], timeout: Duration) async throws {
        try await runAdmin("AlterConfigs", timeout: timeout) { rk, options, queue in
            let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic)
            defer { rd_kafka_ConfigResource_destroy(resource) }
            for (key, value) in configs.sorted(by: { $0.key < $1.key }) {
                let err = rd_kafka_ConfigResource_set_config(resource, key, value)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError.rd(err, "invalid topic config `\(key)`", default: .configuration)
                }
            }
            var list: [OpaquePointer?] = [resource]
            list.withUnsafeMutableBufferPointer { rd_kafka_AlterConfigs(rk, $0.baseAddress, 1, options, queue) }
        } results: { event in
            var count = 0
            let resources = rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(event), &count)
            return Self.resourceError(resources, count)
        }
    }

    /// A topic's configs as the broker reports them.
    public func describeTopicConfigs(_ topic: String, timeout: Duration) async throws -> [String: String] {
        let box = ConfigBox()
        try await runAdmin("DescribeConfigs", timeout: timeout) { rk, options, queue in
            let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic)
            defer { rd_kafka_ConfigResource_destroy(resource) }
            var list: [OpaquePointer?] = [resource]
            list.withUnsafeMutableBufferPointer { rd_kafka_DescribeConfigs(rk, $0.baseAddress, 1, options, queue) }
        } results: { event in
            var count = 0
            let resources = rd_kafka_DescribeConfigs_result_resources(
                rd_kafka_event_DescribeConfigs_result(event), &count)
            if let error = Self.resourceError(resources, count) { return error }
            guard let resources, count > 0 else { return nil }
            var entryCount = 0
            let entries = rd_kafka_ConfigResource_configs(resources[0], &entryCount)
            for i in 0..<entryCount {
                guard let entry = entries?[i], let name = rd_kafka_ConfigEntry_name(entry) else { continue }
                box.values[String(cString: name)] = rd_kafka_ConfigEntry_value(entry).map { String(cString: $0) } ?? ""
            }
            return nil
        }
        return box.values
    }

    /// Runs one admin request on the admin thread: checks for a controller, starts the request
    /// with a temporary result queue, waits up to `timeout`, and maps request and item errors.
    func runAdmin(
        _ operation: String, timeout: Duration,
        start: @escaping @Sendable (OpaquePointer, OpaquePointer, OpaquePointer) throws -> Void,
        results: @escaping @Sendable (OpaquePointer) -> KafkaError?
    ) async throws {
        let handle = self.handle
        try await thread.run {
            try Self.requireController(handle: handle, operation: operation, timeout: timeout)
            try handle.withPointer { rk in
                guard let options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY),
                    let queue = rd_kafka_queue_new(rk)
                else {
                    throw KafkaError(code: .admin, message: "cannot allocate \(operation) request")
                }
                defer {
                    rd_kafka_AdminOptions_destroy(options)
                    rd_kafka_queue_destroy(queue)
                }
                var errstr = [CChar](repeating: 0, count: 512)
                _ = rd_kafka_AdminOptions_set_request_timeout(
                    options, timeout.timeoutMilliseconds, &errstr, errstr.count)
                try start(rk, options, queue)
                guard let event = rd_kafka_queue_poll(queue, timeout.timeoutMilliseconds + 1000) else {
                    throw KafkaError(
                        code: .timeout, message: "\(operation) did not complete within \(timeout)", isRetriable: true)
                }
                defer { rd_kafka_event_destroy(event) }
                let err = rd_kafka_event_error(event)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    var error = KafkaError.rd(err, "\(operation) failed", default: .admin)
                    if let text = rd_kafka_event_error_string(event) {
                        error.message = "\(operation) failed: \(String(cString: text))"
                    }
                    throw error
                }
                if let error = results(event) { throw error }
            }
        }
    }

    static func topicResults(_ results: UnsafeMutablePointer<OpaquePointer?>?, _ count: Int) -> KafkaError? {
        guard let results else { return nil }
        for i in 0..<count {
            guard let result = results[i] else { continue }
            let err = rd_kafka_topic_result_error(result)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let name = rd_kafka_topic_result_name(result).map { String(cString: $0) } ?? ""
                return KafkaError.rd(err, "topic \(name)", default: .admin)
            }
        }
        return nil
    }

    static func resourceError(_ resources: UnsafeMutablePointer<OpaquePointer?>?, _ count: Int) -> KafkaError? {
        guard let resources else { return nil }
        for i in 0..<count {
            guard let resource = resources[i] else { continue }
            let err = rd_kafka_ConfigResource_error(resource)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let name = rd_kafka_ConfigResource_name(resource).map { String(cString: $0) } ?? ""
                return KafkaError.rd(err, "config resource \(name)", default: .admin)
            }
        }
        return nil
    }
}

/// Collects DescribeConfigs entries from the admin thread.
// Safe: written only on the admin thread, read after that job completed
private final class ConfigBox: @unchecked Sendable {
    var values: [String: String] = [:]
}
