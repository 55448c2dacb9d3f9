import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import Synchronization

/// A mint transaction as recorded before it is sent.
public struct MintAttempt: Sendable, Equatable {
    public var signature: String
    public var blockhash: String

    public init(signature: String, blockhash: String) {
        self.signature = signature
        self.blockhash = blockhash
    }
}

public enum MintOutcome: Sendable, Equatable {
    /// Minted (with the transaction's signature on a chain).
    case minted(signature: String?)
    /// Sent but not confirmed yet: look again later.
    case inFlight(signature: String)
}

/// The minting seam: where released rewards become tokens.
public protocol RewardMinter: Sendable {
    /// `ledger` or `solana`.
    var name: String { get }
    /// Mints `reward.amount` to the customer, never twice: `previous` is the attempt recorded earlier for this
    /// reward, and `record` must be called with a new attempt before it is sent.
    func mint(_ reward: Reward, previous: MintAttempt?, record: @Sendable (MintAttempt) async throws -> Void)
        async throws -> MintOutcome
    /// Takes back a released reward (burn, or a ledger debit).
    func clawBack(_ reward: Reward) async throws -> String?
}

/// Local ledger mode: the balance in Redis is the token; minting is the release's own balance move.
public struct LedgerMinter: RewardMinter {
    public init() {}
    public var name: String { "ledger" }
    public func mint(_ reward: Reward, previous: MintAttempt?, record: @Sendable (MintAttempt) async throws -> Void)
        async throws -> MintOutcome
    { .minted(signature: nil) }
    public func clawBack(_ reward: Reward) async throws -> String? { nil }
}

/// Earning, escrow, release, clawback and spending.
public struct RewardService: Sendable {
    public static let eventSource = RewardEventSource.reward
    public static let releaseDueType = RewardReleaseDue.detailType

    public let store: any RewardStore
    public let minter: any RewardMinter
    public let rules: RewardRules

    public init(store: any RewardStore, minter: any RewardMinter, rules: RewardRules) {
        self.store = store
        self.minter = minter
        self.rules = rules
    }

    /// `payment.processed`: a succeeded payment earns a pending reward, once per payment.
    /// - Returns: the reward (created now or before), or nil when the payment earns nothing.
    public func earn(_ payment: PaymentProcessed, logger: Logger) async throws -> Reward? {
        guard payment.status == .succeeded else { return nil }
        let (paymentID, customerID, merchantID) = (payment.paymentID, payment.customerID, payment.merchantID)
        if let existing = try await store.load("rwd_" + paymentID) { return existing }
        guard payment.paymentMethod != "rewards" else { return nil }  // no rewards on rewards
        let (amount, currency) = (payment.amount, payment.currency)
        let tier = try await store.tier(customerID: customerID)
        guard
            let earned = rules.earned(
                amount: amount, currency: currency, category: payment.merchantCategory, tier: tier),
            earned > 0
        else {
            logger.info("no reward", metadata: ["payment_id": .string(paymentID), "currency": .string(currency.code)])
            return nil
        }
        let now = Timestamp.now()
        let allowed = try await store.claimDaily(
            customerID: customerID, paymentID: paymentID, amount: earned, cap: rules.dailyCap,
            day: String(now.format(fractional: false).prefix(10)))
        var reward = Reward(
            paymentID: paymentID, customerID: customerID, merchantID: merchantID, amount: allowed,
            releaseAt: now.adding(milliseconds: rules.holdSeconds * 1000))
        if allowed < earned { reward.steps[0].reason += "; daily cap: \(allowed) of \(earned) micro-tokens" }
        if allowed == 0 {
            try reward.move(to: .canceled, reason: "the daily cap is reached")
        }
        do {
            return try await store.commit(
                reward, expectedVersion: 0, balance: RewardBalance(released: 0, pending: allowed),
                events: [],
                later: allowed > 0 ? ScheduledEvents([try releaseDue(reward)], at: reward.releaseAt) : nil)
        } catch RewardStoreError.versionConflict {
            return try await store.load(reward.id)  // a concurrent delivery of the same event wrote it first
        }
    }

    func releaseDue(_ reward: Reward) throws -> OutgoingEvent {
        try OutgoingEvent(
            source: Self.eventSource, RewardReleaseDue(rewardID: reward.id, paymentID: reward.paymentID),
            resources: [reward.id])
    }

    /// Releases and mints a pending reward: on `settlement.completed`, or when its hold ends (`force` false: only
    /// once `releaseAt` has passed).
    public func release(paymentID: String, reason: String, force: Bool) async throws -> Reward? {
        guard var reward = try await store.load("rwd_" + paymentID) else { return nil }
        if reward.status == .pending {
            guard force || Timestamp.now() >= reward.releaseAt else { return reward }
            let version = reward.version
            try reward.move(to: .releasing, reason: reason)
            reward = try await store.commit(
                reward, expectedVersion: version, balance: RewardBalance(released: 0, pending: 0), events: [],
                later: nil)
        }
        guard reward.status == .releasing else { return reward }
        // The mint's attempts are written as they are made, so that a crash or a retry finds them.
        let current = Mutex(reward)
        let store = self.store
        let previous = reward.signature.flatMap { signature in
            reward.mintBlockhash.map { MintAttempt(signature: signature, blockhash: $0) }
        }
        let outcome = try await minter.mint(reward, previous: previous) { attempt in
            var next = current.withLock { $0 }
            next.signature = attempt.signature
            next.mintBlockhash = attempt.blockhash
            next.steps.append(
                Reward.Step(status: .releasing, at: .now(), reason: "mint transaction \(attempt.signature) signed"))
            let written = try await store.commit(
                next, expectedVersion: next.version, balance: RewardBalance(released: 0, pending: 0), events: [],
                later: nil)
            current.withLock { $0 = written }
        }
        reward = current.withLock { $0 }
        let version = reward.version
        switch outcome {
        case .inFlight:
            // Not confirmed yet: look again shortly (the same event as the hold's end).
            return try await store.commit(
                reward, expectedVersion: version, balance: RewardBalance(released: 0, pending: 0), events: [],
                later: ScheduledEvents([releaseDue(reward)], at: Timestamp.now().adding(milliseconds: 2000)))
        case .minted(let signature):
            reward.mintedOn = minter.name
            reward.signature = signature ?? reward.signature
            try reward.move(
                to: .released, reason: "minted on the \(minter.name)" + (signature.map { " (\($0))" } ?? ""))
            return try await store.commit(
                reward, expectedVersion: version,
                balance: RewardBalance(released: reward.amount, pending: -reward.amount),
                events: [try event(RewardMoved.minted, reward), try event(RewardMoved.released, reward)], later: nil)
        }
    }

    /// A refund or chargeback: a pending reward is canceled, a released one clawed back.
    public func reverse(paymentID: String, reason: String) async throws -> Reward? {
        guard var reward = try await store.load("rwd_" + paymentID) else { return nil }
        let version = reward.version
        switch reward.status {
        case .pending:
            try reward.move(to: .canceled, reason: reason)
            return try await store.commit(
                reward, expectedVersion: version, balance: RewardBalance(released: 0, pending: -reward.amount),
                events: [event("reward.canceled", reward)], later: nil)
        case .released:
            let signature = try await minter.clawBack(reward)
            try reward.move(to: .clawedBack, reason: reason + (signature.map { " (\($0))" } ?? ""))
            return try await store.commit(
                reward, expectedVersion: version, balance: RewardBalance(released: -reward.amount, pending: 0),
                events: [try event(RewardMoved.clawedBack, reward)], later: nil)
        case .releasing, .canceled, .clawedBack:
            return reward
        }
    }

    /// Micro-tokens that pay for `amount` minor units: the earning rate read backwards (one token buys a dollar by
    /// default), rounded up so a purchase is never underpaid; nil for a currency without a rate.
    public func tokens(for money: Money) -> Int64? {
        guard let rate = rules.rates[money.currency.code], money.minorUnits > 0 else { return nil }
        let numerator = Int128(money.minorUnits) * Int128(rate)
        let denominator = Int128(money.currency.minorUnitsPerMajor)
        let value = (numerator + denominator - 1) / denominator
        return value > Int128(Int64.max) ? nil : Int64(value)
    }

    /// Pays for a purchase with released tokens, once per payment.
    /// - Returns: `status` succeeded with `spend_id`, tokens and the balance left; or declined with
    ///   `insufficient_rewards` and what is available — a customer's outcome, not an error.
    public func redeem(_ call: RewardRedeem) async throws -> RewardRedemption {
        guard let tokens = tokens(for: call.money) else {
            throw RewardError.unpayableCurrency(call.currency.code)
        }
        do {
            let left = try await store.spend(customerID: call.customerID, paymentID: call.paymentID, amount: tokens)
            return .succeeded(spendID: "rsp_" + call.paymentID, tokens: tokens, releasedLeft: left.released)
        } catch RewardStoreError.insufficientBalance(let available, let requested) {
            return .declined(
                code: "insufficient_rewards",
                message: "\(requested) micro-tokens are needed and \(available) are released and unspent")
        }
    }

    /// Gives a refunded rewards purchase's tokens back, once per refund key.
    public func redeemRefund(_ call: RewardRedeemRefund) async throws -> RewardCredit {
        guard call.spendID.hasPrefix("rsp_"), let tokens = tokens(for: call.money) else {
            throw RewardError.notARewardsSpend()
        }
        let paymentID = String(call.spendID.dropFirst(4))
        let (customer, credited) = try await store.credit(paymentID: paymentID, key: call.refundKey, amount: tokens)
        guard !customer.isEmpty else { throw RewardError.unknownPurchase(call.spendID) }
        return RewardCredit(creditID: "rcr_" + call.refundKey, customerID: customer, tokens: credited)
    }

    func event(_ type: String, _ reward: Reward) throws -> OutgoingEvent {
        try OutgoingEvent(
            source: Self.eventSource, detailType: type,
            detail: RewardMoved(
                rewardID: reward.id, paymentID: reward.paymentID, customerID: reward.customerID,
                merchantID: reward.merchantID, amount: reward.amount, decimals: Int(RewardRules.decimals),
                status: reward.status.rawValue, mintedOn: reward.mintedOn, signature: reward.signature),
            resources: [reward.id])
    }
}
