import Crypto
import SmartPayCore
import SmartPayHTTP
import SmartPaySolana

/// A gateway whose charge completes out of band: the customer acts (sends a transfer), and the payment is
/// confirmed later by watching for it.
public protocol ConfirmingGateway: PaymentGateway {
    /// What the customer is asked to do, recorded on the payment before the answer goes out.
    func pending(_ charge: ChargeRequest) throws(GatewayError) -> ChainPayment
    /// Looks again: finds the transfer, checks it, and measures its depth.
    func observe(_ chain: ChainPayment) async throws(GatewayError) -> ChainPayment
    /// How long to wait between looks.
    var watchInterval: Duration { get }
}

/// Solana pay-in, in SOL or in an SPL token (USDC for USD prices), by a Solana Pay transfer request.
///
/// A charge answers `requires_action` with the transfer request — `solana:<recipient>?amount=…&spl-token=…
/// &reference=…&label=…&message=…&memo=…` and its parts — where the reference is a key unique to the attempt
/// (SHA-256 of its idempotency key, so a retried attempt asks for the same transfer). Nothing is sent to the
/// chain: the customer's wallet does that. Then pay's watcher (delayed events on the bus) calls `observe`: it
/// finds transactions by the reference (`getSignaturesForAddress`), checks each with `getTransaction` — it succeeded,
/// it moved at least the amount to the recipient (SOL: the recipient's balance change; a token: the recipient's
/// token balance for that mint) — and follows the valid one's depth with `getSignatureStatuses` until it is deep
/// enough for its value (`depth(forUSDCents:)`, the Crypto Checkout seed's rule). A transfer that the node forgets
/// goes back to `awaiting`.
public struct SolanaPayGateway: ConfirmingGateway {
    public let name: String
    public let recipient: SolanaPublicKey
    /// The SPL mint that USD payments are paid in (USDC, 6 decimals); nil: SOL only.
    public let usdcMint: SolanaPublicKey?
    public let rpc: SolanaRPC
    /// The price of one SOL in US cents, to size the confirmation depth of SOL payments.
    public let solPriceUSDCents: Int64
    /// How long the customer has to send the transfer.
    public let window: Duration
    public let watchInterval: Duration
    public let label: String

    public init(
        name: String = "solana", recipient: SolanaPublicKey, usdcMint: SolanaPublicKey? = nil, rpc: SolanaRPC,
        solPriceUSDCents: Int64 = 15_000, window: Duration = .seconds(900), watchInterval: Duration = .seconds(1),
        label: String = "SmartPay"
    ) {
        self.name = name
        self.recipient = recipient
        self.usdcMint = usdcMint
        self.rpc = rpc
        self.solPriceUSDCents = solPriceUSDCents
        self.window = window
        self.watchInterval = watchInterval
        self.label = label
    }

    public func accepts(_ method: PaymentMethodDetails, currency: Currency) -> Bool {
        guard method.type == .crypto, method.chain == "solana" else { return false }
        return currency.code == "SOL" || (currency.code == "USD" && usdcMint != nil)
    }

    /// The Crypto Checkout seed's rule: under $100 one confirmation (`confirmed`); $100 to $1,000 eight blocks;
    /// $1,000 to $10,000 sixteen; above $10,000 `finalized`.
    public static func depth(forUSDCents cents: Int64) -> ChainPayment.Depth {
        switch cents {
        case ..<10_000: .confirmed
        case ..<100_000: .confirmations(8)
        case ...1_000_000: .confirmations(16)
        default: .finalized
        }
    }

    public func pending(_ charge: ChargeRequest) throws(GatewayError) -> ChainPayment {
        let money = charge.money
        let amount: Int64
        let usdCents: Int64
        var mint: SolanaPublicKey?
        switch money.currency.code {
        case "SOL":
            amount = money.minorUnits
            let (value, overflow) = money.minorUnits.multipliedReportingOverflow(by: solPriceUSDCents)
            usdCents = overflow ? .max : value / 1_000_000_000
        case "USD":
            guard let usdcMint else {
                throw GatewayError(.invalidRequest, gateway: name, message: "no USDC mint is configured")
            }
            mint = usdcMint
            amount = money.minorUnits * 10_000  // cents to USDC's 6 decimals
            usdCents = money.minorUnits
        default:
            throw GatewayError(
                .invalidRequest, gateway: name, message: "\(money.currency.code) cannot be paid on Solana")
        }
        let reference = SolanaPublicKey(
            bytes: Array(SHA256.hash(data: Array("smartpay:solana-pay:reference:\(charge.idempotencyKey)".utf8))))
        return ChainPayment(
            chain: "solana", recipient: recipient.description, reference: reference.description,
            mint: mint?.description, amount: amount, required: Self.depth(forUSDCents: usdCents),
            expiresAt: Timestamp.now().adding(milliseconds: window.wholeMilliseconds))
    }

    public func charge(_ charge: ChargeRequest) async throws(GatewayError) -> ChargeResult {
        let chain = try pending(charge)
        return .requiresAction(reference: chain.reference, nextAction: transferRequest(chain, charge: charge))
    }

    /// The Solana Pay transfer request as `next_action`.
    func transferRequest(_ chain: ChainPayment, charge: ChargeRequest) -> JSONValue {
        let decimals = chain.mint == nil ? 9 : 6
        let amount = SolanaPay.decimal(chain.amount, decimals: decimals)
        var query = [("amount", amount)]
        if let mint = chain.mint { query.append(("spl-token", mint)) }
        query += [
            ("reference", chain.reference), ("label", label),
            ("message", charge.description ?? "Payment \(charge.paymentID)"), ("memo", charge.paymentID),
        ]
        let url =
            "solana:\(chain.recipient)?"
            + query.map { "\($0.0)=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
        var action: [String: JSONValue] = [
            "type": .string("solana_pay"), "url": .string(url), "recipient": .string(chain.recipient),
            "amount": .string(amount), "reference": .string(chain.reference),
            "expires_at": .string(chain.expiresAt.description), "confirmation": .string(chain.required.description),
        ]
        if let mint = chain.mint { action["spl_token"] = .string(mint) }
        return .object(action)
    }

    public func observe(_ chain: ChainPayment) async throws(GatewayError) -> ChainPayment {
        var chain = chain
        do {
            if let signature = chain.signature {
                guard let status = try await rpc.signatureStatuses([signature]).first ?? nil, !status.failed else {
                    chain.signature = nil
                    chain.confirmations = nil
                    chain.move(to: .awaiting, "transaction \(signature) was dropped")
                    return try await search(chain)
                }
                return depth(chain, status)
            }
            return try await search(chain)
        } catch {
            throw GatewayError(
                error.isRetriable ? .processorError : .invalidRequest, gateway: name, message: error.description)
        }
    }

    func search(_ chain: ChainPayment) async throws(SolanaError) -> ChainPayment {
        var chain = chain
        let reference = try SolanaPublicKey(chain.reference)
        let found = try await rpc.signatures(for: reference, limit: 20, .confirmed)
        for (signature, failed) in found.reversed() where !failed && !chain.rejected.contains(signature) {
            guard let transaction = try await rpc.transaction(signature, .confirmed) else { continue }
            if let problem = mismatch(transaction, chain) {
                chain.rejected = Array((chain.rejected + [signature]).suffix(20))
                chain.steps.append(ChainPayment.Step(state: chain.state, note: "ignored \(signature): \(problem)"))
                continue
            }
            chain.signature = signature
            chain.move(to: .detected, "transfer \(signature) found")
            guard let status = try await rpc.signatureStatuses([signature]).first ?? nil else { return chain }
            return depth(chain, status)
        }
        return chain
    }

    func depth(_ chain: ChainPayment, _ status: SolanaRPC.SignatureStatus) -> ChainPayment {
        var chain = chain
        chain.confirmations = status.confirmations
        let deep: Bool
        switch chain.required {
        case .confirmed: deep = status.commitment >= .confirmed
        case .confirmations(let count):
            deep = status.commitment == .finalized || (status.confirmations ?? 0) >= count
        case .finalized: deep = status.commitment == .finalized
        }
        if deep {
            chain.move(
                to: .confirmed,
                "\(status.commitment.rawValue), \(status.confirmations.map(String.init) ?? "max") confirmations")
        } else {
            chain.move(to: .confirming, "waiting for \(chain.required)")
        }
        return chain
    }

    /// Why a transaction carrying the reference is not the payment, or nil when it is.
    func mismatch(_ transaction: JSONValue, _ chain: ChainPayment) -> String? {
        guard let meta = transaction["meta"], meta["err"]?.isNull ?? true else { return "it failed" }
        let keys = transaction["transaction"]?["message"]?["accountKeys"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard keys.contains(chain.reference) else { return "it does not carry the reference" }
        let received: Int64
        if let mint = chain.mint {
            func balance(_ name: String) -> Int64 {
                (meta[name]?.arrayValue ?? []).filter {
                    $0["owner"]?.stringValue == chain.recipient && $0["mint"]?.stringValue == mint
                }.compactMap { $0["uiTokenAmount"]?["amount"]?.stringValue.flatMap { Int64($0) } }.reduce(0, +)
            }
            received = balance("postTokenBalances") - balance("preTokenBalances")
        } else {
            guard let index = keys.firstIndex(of: chain.recipient),
                let pre = meta["preBalances"]?.arrayValue?[safe: index]?.numberText.flatMap({ Int64($0) }),
                let post = meta["postBalances"]?.arrayValue?[safe: index]?.numberText.flatMap({ Int64($0) })
            else { return "it does not pay the recipient" }
            received = post - pre
        }
        guard received >= chain.amount else {
            return "the recipient received \(received) base units, \(chain.amount) were asked"
        }
        return nil
    }

    public func refund(reference: String, amount: Money, idempotencyKey: String) async throws(GatewayError) -> String {
        throw GatewayError(
            .invalidRequest, gateway: name, code: "refund_unsupported",
            message: "on-chain refunds are not supported yet; pay the customer back from the recipient wallet")
    }

    /// Nothing to cancel on chain: the watcher stops when the payment is canceled.
    public func cancel(reference: String, idempotencyKey: String) async throws(GatewayError) {}
}

extension ChainPayment.Step {
    init(state: ChainPayment.State, note: String) { self.init(state: state, at: .now(), note: note) }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

extension SolanaError {
    /// A node that could not be asked, or answered an internal error, may answer next time.
    var isRetriable: Bool {
        switch self {
        case .unavailable: true
        case .rpc(let code, _): code <= -32000 && code > -32100 || code == -32603
        default: false
        }
    }
}
