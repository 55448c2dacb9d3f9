/// Why pay refused or could not finish an operation, in the domain's words; the harness turns it into a status
/// once (`PayHandler`'s `FunctionErrorConvertible` conformance). A struct over a private enum, so that cases can be
/// added without breaking callers.
public struct PaymentError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Reason: Sendable, Equatable {
        /// The state machine does not allow the move (409, field `status`).
        case illegalTransition
        /// The payment's state or a concurrent change forbids the operation (409).
        case conflict
        /// No such payment, or one the caller may not see — the same words for both (404).
        case notFound
        /// The caller may not do this (403).
        case forbidden
        /// A value breaks a rule (422, naming the field).
        case invalid
        /// An idempotency key reused with other parameters (400, naming the first difference).
        case idempotencyMismatch
        /// The first request with the key is still running (409, retry later).
        case idempotencyInProgress
        /// Something pay depends on did not answer; nothing was done that a retry would repeat (503).
        case unavailable
    }

    let reason: Reason
    public let message: String
    /// The field at fault, when there is one.
    public let field: String?

    init(_ reason: Reason, _ message: String, field: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
    }

    public var description: String { message }

    public static func illegalTransition(from: PaymentStatus, to next: PaymentStatus, allowed: [String]) -> Self {
        PaymentError(
            .illegalTransition,
            "a payment cannot go from \(from.rawValue) to \(next.rawValue)"
                + (allowed.isEmpty
                    ? " (\(from.rawValue) is final)"
                    : " (from \(from.rawValue) it may go to \(allowed.joined(separator: ", ")))"),
            field: "status")
    }

    public static func conflict(_ message: String, field: String? = nil) -> Self {
        PaymentError(.conflict, message, field: field)
    }

    public static func notFound(_ id: String) -> Self { PaymentError(.notFound, "no such payment: \(id)") }
    public static func forbidden(_ message: String) -> Self { PaymentError(.forbidden, message) }
    public static func invalid(_ field: String, _ why: String) -> Self {
        PaymentError(.invalid, "\(field): \(why)", field: field)
    }
    public static func idempotencyMismatch(key: String, field: String) -> Self {
        PaymentError(
            .idempotencyMismatch,
            "Idempotency-Key \(key) was used with different parameters (\(field) differs); use a new key for a new payment",
            field: field)
    }
    public static func idempotencyInProgress(key: String) -> Self {
        PaymentError(
            .idempotencyInProgress,
            "the first request with Idempotency-Key \(key) is still running; retry in a moment")
    }
    public static func unavailable(_ message: String) -> Self { PaymentError(.unavailable, message) }

    /// A move the state machine refused, or another writer came first.
    public var isConflict: Bool { reason == .conflict || reason == .illegalTransition }
}
