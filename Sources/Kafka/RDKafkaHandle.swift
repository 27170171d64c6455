import CRdKafka
import Foundation
import Logging

/// What librdkafka callbacks need, reached through the client opaque (`rd_kafka_opaque`).
/// Kept alive by the ``RDKafkaHandle`` for as long as the C handle exists.
final class RDKafkaContext: Sendable {
    let logger: Logger
    let producer: ProducerDeliveryState?
    let consumer: ConsumerCallbackState?

    init(logger: Logger, producer: ProducerDeliveryState? = nil, consumer: ConsumerCallbackState? = nil) {
        self.logger = logger
        self.producer = producer
        self.consumer = consumer
    }

    static func from(_ rk: OpaquePointer?) -> RDKafkaContext? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<RDKafkaContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// Owns one `rd_kafka_t`.
///
/// Threading: one *owner thread* (the producer poll thread or the consumer thread) uses
/// ``ownerPointer`` freely and is the only one that destroys the handle. Any other thread goes
/// through ``withPointer(_:)``, which holds a lock so the handle cannot be destroyed under it.
/// librdkafka's `rd_kafka_t` itself is thread-safe.
// Safe: `destroyed` is guarded by `lock`; the pointer is immutable and rd_kafka_t is thread-safe
final class RDKafkaHandle: @unchecked Sendable {
    /// For the owner thread only.
    let ownerPointer: OpaquePointer
    let context: RDKafkaContext
    let bootstrap: String
    private let lock = NSLock()
    private var destroyed = false
    private let isConsumer: Bool

    init(
        type: rd_kafka_type_t, properties: [String: String], context: RDKafkaContext, bootstrap: String,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .configuration, message: "cannot allocate a librdkafka configuration")
        }
        var errstr = [CChar](repeating: 0, count: 512)
        for key in properties.keys.sorted() {
            guard let value = properties[key] else { continue }
            let result = rd_kafka_conf_set(conf, key, value, &errstr, errstr.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let why =
                    result == RD_KAFKA_CONF_UNKNOWN
                    ? "unknown configuration property" : "invalid value for configuration property"
                // The value is deliberately not part of the message: it may be a secret.
                throw KafkaError(code: .configuration, message: "\(why) `\(key)`")
            }
        }
        rd_kafka_conf_set_log_cb(conf, rdKafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, rdKafkaErrorCallback)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        configure(conf)
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)  // rd_kafka_new leaves conf to us on failure
            let text = string(fromCBuffer: errstr)
            throw KafkaError(code: .configuration, message: "cannot create the Kafka client: \(text)")
        }
        self.ownerPointer = rk
        self.context = context
        self.bootstrap = bootstrap
        self.isConsumer = type == RD_KAFKA_CONSUMER
    }

    /// Runs `body` with the pointer unless the handle was destroyed. Never call from a librdkafka
    /// callback on the owner thread while ``destroy()`` may run (it does not: the owner destroys).
    func withPointer<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard !destroyed else { throw KafkaError.closed("the Kafka client") }
        return try body(ownerPointer)
    }

    var isDestroyed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return destroyed
    }

    /// Destroys the C handle (owner thread only). A consumer must have been closed before.
    func destroy() {
        lock.lock()
        defer { lock.unlock() }
        guard !destroyed else { return }
        destroyed = true
        if isConsumer {
            rd_kafka_destroy_flags(ownerPointer, Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE))
        } else {
            rd_kafka_destroy(ownerPointer)
        }
    }

    deinit {
        if !destroyed {
            if isConsumer {
                rd_kafka_destroy_flags(ownerPointer, Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE))
            } else {
                rd_kafka_destroy(ownerPointer)
            }
        }
    }
}

private func rdKafkaLogCallback(
    _ rk: OpaquePointer?, _ level: Int32, _ facility: UnsafePointer<CChar>?, _ buf: UnsafePointer<CChar>?
) {
    guard let context = RDKafkaContext.from(rk) else { return }
    let text = buf.map { String(cString: $0) } ?? ""
    let fac = facility.map { String(cString: $0) } ?? ""
    let swiftLevel: Logger.Level
    switch level {
    case ...2: swiftLevel = .critical
    case 3, 4: swiftLevel = .warning  // librdkafka logs transient connection failures at LOG_ERR
    case 5, 6: swiftLevel = .info
    default: swiftLevel = .debug
    }
    context.logger.log(level: swiftLevel, "librdkafka \(fac): \(text)")
}

private func rdKafkaErrorCallback(
    _ rk: OpaquePointer?, _ err: Int32, _ reason: UnsafePointer<CChar>?, _ opaque: UnsafeMutableRawPointer?
) {
    guard let opaque else { return }
    let context = Unmanaged<RDKafkaContext>.fromOpaque(opaque).takeUnretainedValue()
    let text = reason.map { String(cString: $0) } ?? ""
    if err == RD_KAFKA_RESP_ERR__FATAL.rawValue {
        context.logger.critical("librdkafka fatal error: \(text)")
    } else {
        context.logger.debug("librdkafka error \(err): \(text)")
    }
}
