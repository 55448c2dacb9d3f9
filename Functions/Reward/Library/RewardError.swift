/// What reward's rules, its escrow and its service refuse. `code` is stable for callers to switch on (the handler
/// picks a status from it); `message` is for people and names the field when one is to blame.
public struct RewardError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case illegalMove = "illegal_move"
            case invalidRules = "invalid_rules"
            case invalidPurchase = "invalid_purchase"
            case unknownPurchase = "unknown_purchase"
            case noWallet = "no_wallet"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A move the escrow does not allow (a canceled reward cannot be released).
        public static let illegalMove = Code(.illegalMove)
        /// A `REWARD_RULES` setting that does not parse.
        public static let invalidRules = Code(.invalidRules)
        /// A purchase rewards cannot pay or give back: no rate for its currency, not a rewards spend.
        public static let invalidPurchase = Code(.invalidPurchase)
        /// No rewards purchase by that spend id.
        public static let unknownPurchase = Code(.unknownPurchase)
        /// An on-chain mint for a customer without a saved wallet.
        public static let noWallet = Code(.noWallet)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String
    /// The field to blame (`status`, `REWARD_RULES.daily_cap`, `currency`), when one is.
    public let field: String?

    private init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    /// A field that breaks a rule; the message reads `field: why`.
    private init(_ code: Code, field: String, _ why: String) { self.init(code, "\(field): \(why)", field: field) }

    public static func illegalMove(from status: Reward.Status, to next: Reward.Status) -> RewardError {
        RewardError(.illegalMove, "a \(status.rawValue) reward cannot become \(next.rawValue)", field: "status")
    }

    /// `setting` is the path inside `REWARD_RULES` (`daily_cap`, `rates.USD`); nil for the whole value.
    public static func invalidRules(_ setting: String?, _ why: String) -> RewardError {
        RewardError(.invalidRules, field: setting.map { "REWARD_RULES.\($0)" } ?? "REWARD_RULES", why)
    }

    public static func unpayableCurrency(_ currency: String) -> RewardError {
        RewardError(.invalidPurchase, field: "currency", "rewards cannot pay in \(currency)")
    }

    public static func notARewardsSpend() -> RewardError {
        RewardError(.invalidPurchase, field: "spend_id", "expected rsp_… and an amount in a currency with a rate")
    }

    public static func unknownPurchase(_ spendID: String) -> RewardError {
        RewardError(.unknownPurchase, "no such rewards purchase \(spendID)")
    }

    public static func noWallet(customerID: String) -> RewardError {
        RewardError(
            .noWallet, "customer \(customerID) has no Solana wallet; save one with wallet.save", field: "wallet")
    }

    public var description: String { message }
}
