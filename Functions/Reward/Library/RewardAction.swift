import FunctionKit
import SmartPayContracts
import SmartPaySolana

/// The bodies of reward's direct actions (the platform's operations on rewards); each refuses unknown fields.
public enum RewardAction {
    public struct Customer: Decodable, Sendable, ValidatedBody {
        public var customerID: String
        enum CodingKeys: String, CodingKey, CaseIterable { case customerID }
        public func validate() throws(FunctionError) { try FieldRule.text(customerID, "customer_id") }
    }

    public struct Payment: Decodable, Sendable, ValidatedBody {
        public var paymentID: String
        enum CodingKeys: String, CodingKey, CaseIterable { case paymentID }
        public func validate() throws(FunctionError) { try FieldRule.text(paymentID, "payment_id") }
    }

    public struct Reverse: Decodable, Sendable, ValidatedBody {
        public var paymentID: String
        public var reason: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case paymentID, reason }
        public func validate() throws(FunctionError) {
            try FieldRule.text(paymentID, "payment_id")
            try FieldRule.text(reason, "reason")
        }
    }

    public struct Spend: Decodable, Sendable, ValidatedBody {
        public var customerID: String
        public var paymentID: String
        /// Micro-tokens.
        public var amount: Int64
        enum CodingKeys: String, CodingKey, CaseIterable { case customerID, paymentID, amount }
        public func validate() throws(FunctionError) {
            try FieldRule.text(customerID, "customer_id")
            try FieldRule.text(paymentID, "payment_id")
            try FieldRule.positive(amount, "amount")
        }
    }

    public struct Wallet: Decodable, Sendable, ValidatedBody {
        public var customerID: String
        /// A base58 Solana address.
        public var wallet: String
        enum CodingKeys: String, CodingKey, CaseIterable { case customerID, wallet }
        public func validate() throws(FunctionError) {
            try FieldRule.text(customerID, "customer_id")
            try FieldRule.text(wallet, "wallet", maximum: 64)
            do { _ = try SolanaPublicKey(wallet) } catch {
                throw FunctionError.validation("wallet", error.description)
            }
        }
    }

    public struct Tier: Decodable, Sendable, ValidatedBody {
        public var customerID: String
        public var tier: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case customerID, tier }
        public func validate() throws(FunctionError) {
            try FieldRule.text(customerID, "customer_id")
            try FieldRule.text(tier, "tier", maximum: 32)
        }
    }
}

extension RewardRedeem: ValidatedBody {
    public func validate() throws(FunctionError) {
        try FieldRule.text(customerID, "customer_id")
        try FieldRule.text(paymentID, "payment_id")
        try FieldRule.positive(amount, "amount")
    }
}

extension RewardRedeemRefund: ValidatedBody {
    public func validate() throws(FunctionError) {
        try FieldRule.text(spendID, "spend_id")
        try FieldRule.text(refundKey, "refund_key", maximum: 255)
        try FieldRule.positive(amount, "amount")
    }
}
