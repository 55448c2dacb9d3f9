import FunctionKit

/// A payment's state, after Stripe's PaymentIntent lifecycle, with refunds as states of their own.
///
/// ```
/// requires_payment_method ─▶ processing ─▶ requires_action ─▶ succeeded ─▶ partially_refunded ─▶ refunded
///          │                     │  ▲              │               └──────────────────────────────▶ refunded
///          └─▶ failed | canceled └──┼──▶ succeeded | failed        └─▶ processing | failed | canceled
///                                   └── (an action completed: back to processing)
/// ```
public enum PaymentStatus: String, Codable, Sendable, CaseIterable {
    case requiresPaymentMethod = "requires_payment_method"
    case processing
    case requiresAction = "requires_action"
    case succeeded
    case failed
    case canceled
    case refunded
    case partiallyRefunded = "partially_refunded"

    /// The states this one may move to.
    public var successors: Set<PaymentStatus> {
        switch self {
        case .requiresPaymentMethod: [.processing, .failed, .canceled]
        case .processing: [.requiresAction, .succeeded, .failed]
        case .requiresAction: [.processing, .succeeded, .failed, .canceled]
        case .succeeded: [.partiallyRefunded, .refunded]
        case .partiallyRefunded: [.partiallyRefunded, .refunded]
        case .failed, .canceled, .refunded: []
        }
    }

    /// No further transition is possible.
    public var isFinal: Bool { successors.isEmpty }

    /// The money moved to the merchant (and may be refunded).
    public var isCaptured: Bool { self == .succeeded || self == .partiallyRefunded || self == .refunded }

    /// - Throws: `PaymentError.illegalTransition` naming both states when the move is not allowed.
    public func validateTransition(to next: PaymentStatus) throws(PaymentError) {
        guard successors.contains(next) else {
            throw .illegalTransition(from: self, to: next, allowed: successors.map(\.rawValue).sorted())
        }
    }
}
