import Synchronization
import Tracing

/// Where ``ConsumeSpanLayer`` leaves the context of an event's consume span, so that the
/// event's failure carries it to its retry or dead-letter span, which is then a child of
/// the consume span (``DeadLetterSpan``). One slot per handler call, made only while an
/// instrument is active.
final class ConsumeSpanSlot: Sendable {
    private let stored = Mutex<ServiceContext?>(nil)

    /// A slot when tracing is on; `nil` (nothing to record) otherwise.
    static func whenTracing() -> ConsumeSpanSlot? { ConsumeSpanLayer.isTracing ? ConsumeSpanSlot() : nil }

    /// The consume span's context, once the layer has started it.
    var context: ServiceContext? { stored.withLock { $0 } }

    func record(_ context: ServiceContext) { stored.withLock { $0 = context } }
}
