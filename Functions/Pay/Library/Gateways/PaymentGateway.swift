import SmartPayCore
import SmartPayHTTP

/// The gateway seam: one adapter per processor (Stripe, Amazon Pay, Solana), each speaking its real API.
public protocol PaymentGateway: Sendable {
    /// The catalogue's name: `stripe`, `amazon_pay`, `solana`.
    var name: String { get }

    /// Whether this gateway can charge the method (it holds a token for it, or it is on-chain).
    func accepts(_ method: PaymentMethodDetails, currency: Currency) -> Bool

    /// Charges (authorises and captures) once. The same `idempotencyKey` must never charge twice.
    /// - Throws: `GatewayError` when the processor could not be asked or did not answer (retriable elsewhere);
    ///   a customer-side refusal is a `.declined` result, never an error.
    func charge(_ charge: ChargeRequest) async throws(GatewayError) -> ChargeResult

    /// Refunds `amount` of a captured charge.
    func refund(reference: String, amount: Money, idempotencyKey: String) async throws(GatewayError) -> String

    /// Cancels a charge that waits for an action.
    func cancel(reference: String, idempotencyKey: String) async throws(GatewayError)
}

/// What a gateway is asked to charge.
public struct ChargeRequest: Sendable {
    public var paymentID: String
    /// `{payment id}:attempt:{n}`: a retried attempt reuses it, a new attempt (another gateway) gets its own.
    public var idempotencyKey: String
    public var money: Money
    public var method: PaymentMethodDetails
    public var customerID: String
    public var merchantID: String
    public var description: String?

    public init(
        paymentID: String, idempotencyKey: String, money: Money, method: PaymentMethodDetails, customerID: String,
        merchantID: String, description: String? = nil
    ) {
        self.paymentID = paymentID
        self.idempotencyKey = idempotencyKey
        self.money = money
        self.method = method
        self.customerID = customerID
        self.merchantID = merchantID
        self.description = description
    }
}

/// A gateway's answer to a charge.
public enum ChargeResult: Sendable, Equatable {
    case succeeded(reference: String)
    /// The customer must act (3-D Secure, a wallet approval, an on-chain transfer): `nextAction` says how.
    case requiresAction(reference: String, nextAction: JSONValue)
    /// Accepted; the outcome arrives later.
    case processing(reference: String)
    /// Refused for the customer's reasons (`card_declined`, `insufficient_funds`): never retried elsewhere.
    case declined(reference: String?, code: String, message: String)
}

/// A gateway could not be asked or did not answer: a processor problem, not the customer's.
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// No connection, a reset, a 5xx, a 429, refused credentials: retriable at another gateway.
        case processorError = "processor_error"
        /// No answer in time: the charge may or may not have happened; retried once with the same key first.
        case timeout
        /// We sent something the gateway cannot take (a bad token, an unsupported currency): not retriable.
        case invalidRequest = "invalid_request"
    }

    public let kind: Kind
    public let gateway: String
    /// The processor's error code when it sent one (`rate_limit`, `resource_missing`), else the kind.
    public let code: String
    public let message: String

    public init(_ kind: Kind, gateway: String, code: String? = nil, message: String) {
        self.kind = kind
        self.gateway = gateway
        self.code = code ?? kind.rawValue
        self.message = message
    }

    public var isRetriable: Bool { kind != .invalidRequest }
    public var description: String { "\(gateway) \(kind.rawValue) (\(code)): \(message)" }
}

extension GatewayError {
    /// An HTTP exchange that failed before an answer: a timeout (the charge may have happened; asked again with the
    /// same key) or a processor error (no connection, a reset).
    init(_ error: HTTPClientError, gateway: String) {
        self.init(
            error.code == .timeout ? .timeout : .processorError, gateway: gateway, code: error.code.description,
            message: error.message)
    }
}

/// The adapters by gateway name.
public struct GatewayRegistry: Sendable {
    public let gateways: [String: any PaymentGateway]

    public init(_ gateways: [any PaymentGateway]) {
        var byName: [String: any PaymentGateway] = [:]
        for gateway in gateways { byName[gateway.name] = gateway }
        self.gateways = byName
    }

    public subscript(name: String) -> (any PaymentGateway)? { gateways[name] }

    /// The gateways that can charge the method, by name, sorted.
    public func candidates(for method: PaymentMethodDetails, currency: Currency) -> [String] {
        gateways.values.filter { $0.accepts(method, currency: currency) }.map(\.name).sorted()
    }
}
