import SmartPayCore

/// An on-chain pay-in waiting for its transfer: what the customer was asked to send, and how far the chain has got.
///
/// States: `awaiting` (no valid transfer seen) → `detected` (a transfer to the recipient with the reference, mint
/// and amount was found) → `confirming` (deep enough for the node, not yet for the amount) → `confirmed` (the
/// payment succeeds); a detected transfer that the node forgets (dropped, a fork) goes back to `awaiting`;
/// `expired` when nothing arrived in the window (the payment is canceled).
public struct ChainPayment: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case awaiting, detected, confirming, confirmed, expired
    }

    /// How deep the transfer must be before the payment succeeds.
    public enum Depth: Codable, Sendable, Equatable, CustomStringConvertible {
        /// The cluster's supermajority voted on its block (one confirmation).
        case confirmed
        /// At least this many blocks on top of it.
        case confirmations(Int)
        /// Rooted: it cannot be rolled back.
        case finalized

        public var description: String {
            switch self {
            case .confirmed: "confirmed"
            case .confirmations(let count): "\(count) confirmations"
            case .finalized: "finalized"
            }
        }

        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            switch text {
            case "confirmed": self = .confirmed
            case "finalized": self = .finalized
            default:
                guard let count = Int(text.split(separator: " ").first ?? "") else {
                    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: text))
                }
                self = .confirmations(count)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }
    }

    public struct Step: Codable, Sendable, Equatable {
        public var state: State
        public var at: Timestamp
        public var note: String
    }

    public var chain: String
    /// Where the money goes (base58), the unique reference key the transfer carries, and the SPL mint (nil: SOL).
    public var recipient: String
    public var reference: String
    public var mint: String?
    /// In the asset's base units: lamports, or the token's smallest unit.
    public var amount: Int64
    public var required: Depth
    public var state: State
    public var signature: String?
    public var confirmations: Int?
    /// The watch event allowed to act next; a duplicate delivery of an older one does nothing.
    public var watch: Int
    public var expiresAt: Timestamp
    /// Transfers carrying the reference that did not match (wrong recipient, mint or amount), ignored from then on.
    public var rejected: [String]
    public var steps: [Step]

    enum CodingKeys: String, CodingKey {
        case chain, recipient, reference, mint, amount, required, state, signature, confirmations, watch, rejected
        case steps
        case expiresAt = "expires_at"
    }

    public init(
        chain: String, recipient: String, reference: String, mint: String?, amount: Int64, required: Depth,
        expiresAt: Timestamp
    ) {
        self.chain = chain
        self.recipient = recipient
        self.reference = reference
        self.mint = mint
        self.amount = amount
        self.required = required
        self.state = .awaiting
        self.watch = 1
        self.expiresAt = expiresAt
        self.rejected = []
        self.steps = [Step(state: .awaiting, at: .now(), note: "transfer requested")]
    }

    mutating func move(to next: State, _ note: String) {
        guard next != state else { return }
        state = next
        steps.append(Step(state: next, at: .now(), note: note))
    }
}
