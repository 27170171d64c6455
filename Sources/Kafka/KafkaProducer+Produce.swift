import CRdKafka

extension KafkaProducer {
    enum ProduceOutcome {
        case enqueued
        case queueFull
        case failed(KafkaError)
    }

    /// Validates bounds and hands one message to librdkafka. On `.enqueued` librdkafka owns the
    /// opaque until the delivery report; otherwise the caller still owns it.
    func produce(_ message: KafkaProducerMessage, opaque: UnsafeMutableRawPointer?) -> ProduceOutcome {
        var headerBytes = 0
        for header in message.headers { headerBytes += header.key.utf8.count + (header.value?.count ?? 0) }
        if headerBytes > configuration.maxHeaderBytes {
            return .failed(
                KafkaError(
                    code: .messageTooLarge,
                    message:
                        "the header set (\(message.headers.count) headers, \(headerBytes) bytes) exceeds maxHeaderBytes (\(configuration.maxHeaderBytes))"
                ))
        }
        let total = headerBytes + (message.key?.count ?? 0) + (message.value?.count ?? 0)
        if total > configuration.maxMessageBytes {
            return .failed(
                KafkaError(
                    code: .messageTooLarge,
                    message: "the message (\(total) bytes) exceeds maxMessageBytes (\(configuration.maxMessageBytes))"))
        }
        if message.topic.isEmpty {
            return .failed(KafkaError(code: .invalidArgument, message: "the topic name is empty"))
        }
        if control.isStopping { return .failed(KafkaError.closed("the producer")) }
        let result: rd_kafka_resp_err_t
        do {
            result = try handle.withPointer { rk in
                var headers: OpaquePointer? = nil
                if !message.headers.isEmpty {
                    headers = rd_kafka_headers_new(message.headers.count)
                    for header in message.headers { addHeader(headers, header) }
                }
                let err = withOptionalBytes(message.key) { key, keyLength in
                    withOptionalBytes(message.value) { value, valueLength in
                        choreo_produce(
                            rk, message.topic, message.partition ?? choreo_partition_ua(),
                            key, keyLength, value, valueLength, headers, opaque)
                    }
                }
                if err != RD_KAFKA_RESP_ERR_NO_ERROR, let headers { rd_kafka_headers_destroy(headers) }
                return err
            }
        } catch {
            return .failed(KafkaError.closed("the producer"))
        }
        switch result {
        case RD_KAFKA_RESP_ERR_NO_ERROR: return .enqueued
        case RD_KAFKA_RESP_ERR__QUEUE_FULL: return .queueFull
        case RD_KAFKA_RESP_ERR__FATAL:
            return .failed(fatalError ?? KafkaError.rd(result, "cannot produce", default: .fatal))
        default:
            return .failed(KafkaError.rd(result, "cannot produce to topic \(message.topic)", default: .messageDelivery))
        }
    }
}

private func addHeader(_ headers: OpaquePointer?, _ header: KafkaHeader) {
    let keyLength = header.key.utf8.count
    header.key.withCString { key in
        if let value = header.value {
            value.withUnsafeBytes { valueBytes in
                // A non-null pointer even for an empty value, so it stays empty rather than null.
                withUnsafePointer(to: 0 as UInt8) { emptyByte in
                    _ = rd_kafka_header_add(
                        headers, key, keyLength, valueBytes.baseAddress ?? UnsafeRawPointer(emptyByte), valueBytes.count
                    )
                }
            }
        } else {
            _ = rd_kafka_header_add(headers, key, keyLength, nil, 0)
        }
    }
}

/// Calls `body` with the bytes and their length, or `(nil, -1)` for `nil` (a null key/value).
@inline(__always)
private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let bytes else { return body(nil, -1) }
    return bytes.withUnsafeBytes { body($0.baseAddress, $0.count) }
}
