import SmartPayContracts
import SmartPayCore
import SmartPayLedger
import Synchronization

/// What one posting did: each leg with its id, amount and the ledger's result.
public struct Posting: Sendable, Equatable {
    public struct Leg: Sendable, Equatable {
        public var code: TransferCode
        public var id: LedgerID
        public var debit: String
        public var credit: String
        public var amount: Int64
        public var result: CreateTransferResult
    }

    public var kind: String
    public var paymentID: String
    public var ledger: LedgerName
    public var legs: [Leg]

    /// Every leg is in the ledger (created now, or by an earlier delivery of the same event).
    public var isPosted: Bool { legs.allSatisfy(\.result.isSuccess) }
}

/// A merchant's balance in one currency, in minor units, read from its ledger accounts. `available` is negative
/// when a chargeback took more than the merchant held (`merchant:negative`).
public struct MerchantBalance: Sendable, Equatable {
    public var currency: String
    /// Settled and payable: `merchant:available` credits − debits posted − debits pending (payouts on their way),
    /// less what the merchant owes (`merchant:negative`).
    public var available: Int64
    /// Captured but not yet settled: `merchant:held`.
    public var pending: Int64
    /// Kept back against chargebacks: `merchant:reserve`.
    public var reserved: Int64

    public init(currency: String, available: Int64, pending: Int64, reserved: Int64) {
        self.currency = currency
        self.available = available
        self.pending = pending
        self.reserved = reserved
    }
}

/// The platform's postings: each business event a linked chain whose ids are derived from the business key
/// (payment id and step), so a re-delivered event is `exists` — never a second posting.
public final class LedgerService: Sendable {
    public let store: any LedgerStore
    /// Accounts this process knows exist, so the common path is one batch, not two.
    private let known = Mutex<Set<LedgerID>>([])

    public init(store: any LedgerStore) { self.store = store }

    /// `payment.processed`, succeeded: gateway clearing → merchant held (net) and → platform fees (fee).
    public func postCapture(_ payment: PaymentProcessed) async throws -> Posting? {
        guard payment.status == .succeeded else { return nil }
        let ledger = try LedgerName(payment.currency.code)
        guard payment.amount > 0 else { throw LedgerError.invalid("amount", "a capture moves a positive amount") }
        guard payment.fee >= 0, payment.net >= 0, payment.fee <= payment.amount,
            payment.net == payment.amount - payment.fee
        else {
            throw LedgerError.invalid(
                "net", "fee \(payment.fee) + net \(payment.net) must be the amount \(payment.amount)")
        }
        let clearing = ChartAccount.clearing(gateway: Self.gateway(payment))
        let held = ChartAccount.held(merchant: payment.merchantID)
        try await ensure([clearing, .fees] + ChartAccount.merchant(payment.merchantID), ledger: ledger)
        var legs: [(TransferCode, ChartAccount, ChartAccount, Int64)] = [(.captureNet, clearing, held, payment.net)]
        if payment.fee > 0 { legs.append((.captureFee, clearing, .fees, payment.fee)) }
        legs = legs.filter { $0.3 > 0 }
        return try await post(
            kind: "capture", paymentID: payment.paymentID, key: ["payment", payment.paymentID], legs: legs,
            ledger: ledger)
    }

    /// `payment.refunded`: the refund's amount from the merchant's held balance first, then its available one,
    /// back to the gateway's clearing account; never more than the capture posted.
    public func postRefund(_ refund: PaymentRefunded) async throws -> Posting {
        let ledger = try LedgerName(refund.currency.code)
        guard refund.amount > 0 else { throw LedgerError.invalid("amount", "a refund moves a positive amount") }
        let key = ["refund", refund.paymentID, refund.refundID]
        let legIDs = [LedgerID.derived(key + ["held"]), LedgerID.derived(key + ["available"])]
        if let earlier = try await posted("refund", paymentID: refund.paymentID, legs: legIDs, ledger: ledger) {
            return earlier
        }
        let capture = try await store.lookupTransfers(
            [
                LedgerID.derived("payment", refund.paymentID, "capture"),
                LedgerID.derived("payment", refund.paymentID, "fee"),
            ],
            ledger: ledger)
        guard let net = capture[0] else {
            throw LedgerError(
                .notYetPosted, "payment \(refund.paymentID)'s capture is not in the \(ledger) ledger yet",
                field: "payment_id")
        }
        let captured = net.amount + (capture[1]?.amount ?? 0)
        guard refund.amountRefunded <= captured, refund.amount <= refund.amountRefunded else {
            throw LedgerError.invalid(
                "amount_refunded", "\(refund.amountRefunded) refunded in all is more than the \(captured) captured")
        }
        let clearing = try await clearingAccount(of: net, ledger: ledger)
        let held = ChartAccount.held(merchant: refund.merchantID)
        let available = ChartAccount.available(merchant: refund.merchantID)
        for _ in 0..<5 {
            let accounts = try await store.lookupAccounts([held.id(in: ledger)], ledger: ledger)
            let heldFree = accounts[0].map { $0.creditsPosted - $0.debitsPosted - $0.debitsPending } ?? 0
            let fromHeld = min(refund.amount, max(0, heldFree))
            let legs: [(TransferCode, ChartAccount, ChartAccount, Int64, String)] = [
                (.refund, held, clearing, fromHeld, "held"),
                (.refund, available, clearing, refund.amount - fromHeld, "available"),
            ].filter { $0.3 > 0 }
            let posting = try await post(
                kind: "refund", paymentID: refund.paymentID, key: key,
                legs: legs.map { ($0.0, $0.1, $0.2, $0.3) }, steps: legs.map(\.4), ledger: ledger)
            if posting.isPosted { return posting }
            // exceeds_credits: the held balance moved between the look and the post, or the merchant cannot
            // cover the refund; look again, a few times.
        }
        throw LedgerError(
            .refused,
            "merchant \(refund.merchantID)'s held and available \(ledger) balances do not cover the refund "
                + "\(refund.refundID) of \(refund.amount)", field: "amount")
    }

    /// `chargeback.received`: the disputed amount (the whole payment when the event names none) from the merchant's
    /// held, then available, then reserve balance to `platform:chargeback_loss`; what they cannot cover goes to
    /// `merchant:negative` with the code `chargeback_negative` — the only way a merchant goes below zero.
    public func postChargeback(_ chargeback: ChargebackReceived) async throws -> Posting {
        var found: (LedgerName, Transfer, Transfer?)?
        for ledger in try await store.ledgers() {
            let capture = try await store.lookupTransfers(
                [
                    .derived("payment", chargeback.paymentID, "capture"),
                    .derived("payment", chargeback.paymentID, "fee"),
                ],
                ledger: ledger)
            if let net = capture[0] { found = (ledger, net, capture[1]) }
        }
        guard let (ledger, net, fee) = found else {
            throw LedgerError(
                .notYetPosted, "payment \(chargeback.paymentID)'s capture is not in the ledger yet", field: "payment_id"
            )
        }
        let captured = net.amount + (fee?.amount ?? 0)
        let amount = chargeback.amount ?? captured
        guard amount > 0, amount <= captured else {
            throw LedgerError.invalid("amount", "a chargeback takes 1 to the \(captured) captured, not \(amount)")
        }
        guard
            let merchant = try await store.lookupAccounts([net.creditAccountID], ledger: ledger).first??.owner
                .split(separator: ":").last.map(String.init)
        else { throw LedgerError(.refused, "the capture \(net.id) credits no merchant account") }
        let key = ["chargeback", chargeback.paymentID]
        let sources: [(ChartAccount, String)] = [
            (.held(merchant: merchant), "held"), (.available(merchant: merchant), "available"),
            (.reserve(merchant: merchant), "reserve"),
        ]
        let legIDs = (sources.map(\.1) + ["negative"]).map { LedgerID.derived(key + [$0]) }
        if let earlier = try await posted("chargeback", paymentID: chargeback.paymentID, legs: legIDs, ledger: ledger) {
            return earlier
        }
        try await ensure([.chargebackLoss, .negative(merchant: merchant)], ledger: ledger)
        for _ in 0..<5 {
            let (legs, steps) = try await chargebackLegs(amount, from: sources, merchant: merchant, ledger: ledger)
            let posting = try await post(
                kind: "chargeback", paymentID: chargeback.paymentID, key: key, legs: legs, steps: steps,
                ledger: ledger)
            if posting.isPosted { return posting }
        }
        throw LedgerError(.refused, "the chargeback of \(chargeback.paymentID) kept racing other postings; retry")
    }

    /// The chargeback's legs: as much as each source holds, in order, and the rest to the merchant's negative account.
    private func chargebackLegs(
        _ amount: Int64, from sources: [(ChartAccount, String)], merchant: String, ledger: LedgerName
    ) async throws -> (legs: [(TransferCode, ChartAccount, ChartAccount, Int64)], steps: [String]) {
        let balances = try await store.lookupAccounts(sources.map { $0.0.id(in: ledger) }, ledger: ledger)
        var left = amount
        var legs: [(TransferCode, ChartAccount, ChartAccount, Int64)] = []
        var steps: [String] = []
        for ((account, step), balance) in zip(sources, balances) where left > 0 {
            let free = balance.map { $0.creditsPosted - $0.debitsPosted - $0.debitsPending } ?? 0
            let take = min(left, max(0, free))
            if take > 0 {
                legs.append((.chargeback, account, .chargebackLoss, take))
                steps.append(step)
                left -= take
            }
        }
        if left > 0 {
            legs.append((.chargebackNegative, .negative(merchant: merchant), .chargebackLoss, left))
            steps.append("negative")
        }
        return (legs, steps)
    }

    /// An earlier delivery's posting, when any of its legs is in the ledger (a chain commits whole).
    private func posted(_ kind: String, paymentID: String, legs ids: [LedgerID], ledger: LedgerName) async throws
        -> Posting?
    {
        let earlier = try await store.lookupTransfers(ids, ledger: ledger).compactMap { $0 }
        guard !earlier.isEmpty else { return nil }
        return Posting(
            kind: kind, paymentID: paymentID, ledger: ledger,
            legs: earlier.map { t in
                Posting.Leg(
                    code: TransferCode(rawValue: t.code) ?? .refund, id: t.id, debit: t.debitAccountID.hex,
                    credit: t.creditAccountID.hex, amount: t.amount, result: .exists)
            })
    }

    /// A merchant's balances, one entry per currency it has accounts in.
    public func balances(merchant: String) async throws -> [MerchantBalance] {
        var balances: [MerchantBalance] = []
        for ledger in try await store.ledgers() {
            let ids = [
                ChartAccount.available(merchant: merchant), .held(merchant: merchant), .reserve(merchant: merchant),
                .negative(merchant: merchant),
            ].map { $0.id(in: ledger) }
            let found = try await store.lookupAccounts(ids, ledger: ledger)
            guard found.contains(where: { $0 != nil }) else { continue }
            func free(_ a: Account?) -> Int64 { a.map { $0.creditsPosted - $0.debitsPosted - $0.debitsPending } ?? 0 }
            let owed = found[3].map(\.debitBalance) ?? 0
            balances.append(
                MerchantBalance(
                    currency: ledger.code, available: free(found[0]) - owed, pending: free(found[1]),
                    reserved: free(found[2])))
        }
        return balances
    }

    // MARK: -

    /// The clearing account a capture debited: a refund goes back to the same gateway.
    private func clearingAccount(of capture: Transfer, ledger: LedgerName) async throws -> ChartAccount {
        guard let account = try await store.lookupAccounts([capture.debitAccountID], ledger: ledger).first ?? nil,
            account.code == ChartAccount.Code.gatewayClearing.rawValue
        else { throw LedgerError(.refused, "the capture \(capture.id) does not debit a clearing account") }
        let gateway = account.name.split(separator: ":").dropFirst().first.map(String.init) ?? ""
        return .clearing(gateway: gateway)
    }

    static func gateway(_ payment: PaymentProcessed) -> String {
        payment.gateway ?? (payment.paymentMethod == "rewards" ? "rewards" : payment.paymentMethod)
    }

    /// Creates the accounts this process has not seen yet (`exists` is as good as `created`).
    private func ensure(_ accounts: [ChartAccount], ledger: LedgerName) async throws {
        let missing = known.withLock { known in accounts.filter { !known.contains($0.id(in: ledger)) } }
        guard !missing.isEmpty else { return }
        let results = try await store.createAccounts(missing.map { $0.new(in: ledger) })
        if let bad = zip(missing, results).first(where: { !$0.1.isSuccess }) {
            throw LedgerError(.refused, "the account \(bad.0.name) could not be opened: \(bad.1.rawValue)")
        }
        known.withLock { known in for account in missing { known.insert(account.id(in: ledger)) } }
    }

    /// Posts the legs as one linked chain with ids derived from `key` and each leg's step (its code's name unless
    /// `steps` names them).
    private func post(
        kind: String, paymentID: String, key: [String], legs: [(TransferCode, ChartAccount, ChartAccount, Int64)],
        steps: [String]? = nil, ledger: LedgerName
    ) async throws -> Posting {
        let transfers = legs.enumerated().map { index, leg in
            NewTransfer(
                id: LedgerID.derived(key + [steps?[index] ?? leg.0.name]), debitAccountID: leg.1.id(in: ledger),
                creditAccountID: leg.2.id(in: ledger), amount: leg.3, ledger: ledger, code: leg.0.rawValue,
                flags: index < legs.count - 1 ? .linked : [], userData: paymentID)
        }
        var results = try await store.createTransfers(transfers)
        // A re-delivered chain: its first leg is `exists`, which breaks the chain for the rest
        // (`linked_event_failed`) — they are in the ledger too if they exist by id.
        if results.contains(.exists) && results.contains(.linkedEventFailed) {
            let found = try await store.lookupTransfers(transfers.map(\.id), ledger: ledger)
            for index in results.indices where results[index] == .linkedEventFailed && found[index] != nil {
                results[index] = .exists
            }
        }
        let posting = Posting(
            kind: kind, paymentID: paymentID, ledger: ledger,
            legs: zip(legs, zip(transfers, results)).map { leg, pair in
                Posting.Leg(
                    code: leg.0, id: pair.0.id, debit: leg.1.name, credit: leg.2.name, amount: leg.3,
                    result: pair.1)
            })
        if let failed = posting.legs.first(where: { !$0.result.isSuccess && $0.result != .linkedEventFailed }),
            failed.result != .exceedsCredits
        {
            throw LedgerError(
                .refused,
                "the \(kind) of \(paymentID) was refused: \(failed.debit) → \(failed.credit) "
                    + "\(failed.amount): \(failed.result.rawValue)")
        }
        return posting
    }
}
