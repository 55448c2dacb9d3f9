import SmartPayCore

/// A reward for one payment, in escrow until the payment settles.
///
/// `pending → releasing → released → clawed_back`, or `pending → canceled`. `releasing` is the mint in flight: its
/// transaction signature (on Solana) is recorded before it is sent, so a retry checks that signature's status before
/// sending again and never mints twice. Every step is kept with its time and reason.
public struct Reward: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case pending, releasing, released, canceled
        case clawedBack = "clawed_back"

        /// The moves the escrow allows.
        public static let successors: [Status: Set<Status>] = [
            .pending: [.releasing, .canceled], .releasing: [.released, .pending], .released: [.clawedBack],
            .canceled: [], .clawedBack: [],
        ]
    }

    public struct Step: Codable, Sendable, Equatable {
        public var status: Status
        public var at: Timestamp
        public var reason: String
    }

    /// `rwd_` + the payment id: one reward per payment, however often the event arrives.
    public var id: String
    public var paymentID: String
    public var customerID: String
    public var merchantID: String
    /// Micro-tokens (6 decimals).
    public var amount: Int64
    public var status: Status
    /// When the hold ends and the reward is released without a settlement event.
    public var releaseAt: Timestamp
    /// `ledger` or `solana`, once minted; the transaction signature on Solana.
    public var mintedOn: String?
    public var signature: String?
    /// The blockhash the recorded transaction was signed with: while it is valid, the same transaction can be sent
    /// again safely; once it expired, an unseen transaction can never land and a new one may be made.
    public var mintBlockhash: String?
    public var steps: [Step]
    public var version: Int

    enum CodingKeys: String, CodingKey {
        case id, amount, status, signature, steps, version
        case paymentID = "payment_id"
        case customerID = "customer_id"
        case merchantID = "merchant_id"
        case releaseAt = "release_at"
        case mintBlockhash = "mint_blockhash"
        case mintedOn = "minted_on"
    }

    public init(paymentID: String, customerID: String, merchantID: String, amount: Int64, releaseAt: Timestamp) {
        self.id = "rwd_" + paymentID
        self.paymentID = paymentID
        self.customerID = customerID
        self.merchantID = merchantID
        self.amount = amount
        self.status = .pending
        self.releaseAt = releaseAt
        self.steps = [Step(status: .pending, at: .now(), reason: "earned on payment \(paymentID)")]
        self.version = 0
    }

    /// - Throws: `RewardError.illegalMove` naming both states for a move the escrow does not allow; nothing
    ///   changes.
    public mutating func move(to next: Status, reason: String) throws(RewardError) {
        guard Status.successors[status]?.contains(next) == true else { throw .illegalMove(from: status, to: next) }
        status = next
        steps.append(Step(status: next, at: .now(), reason: reason))
    }
}
