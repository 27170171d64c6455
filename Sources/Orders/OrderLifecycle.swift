import Foundation

/// What the other services reported about an order.
public enum OrderOutcome: Sendable, Equatable {
    case paymentCaptured(paymentID: UUID)
    case paymentFailed(reason: String)
    case stockReservationFailed(reason: String)
}

/// Confirming and cancelling (the compensation side of the flow). Only a placed order
/// moves; an outcome for a confirmed or cancelled order (a late or repeated report) is
/// ignored, so an order ends exactly once.
public enum OrderLifecycle {
    public enum Transition: Sendable, Equatable {
        case confirm(paymentID: UUID)
        case cancel(reason: String)
        case ignore
    }

    public static func apply(_ outcome: OrderOutcome, to status: OrderStatus) -> Transition {
        guard status == .placed else { return .ignore }
        switch outcome {
        case .paymentCaptured(let paymentID): return .confirm(paymentID: paymentID)
        case .paymentFailed(let reason), .stockReservationFailed(let reason): return .cancel(reason: reason)
        }
    }
}
