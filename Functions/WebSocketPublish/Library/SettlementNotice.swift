import SmartPayContracts

/// What websocket-publish reads from a `settlement.*` detail: the merchant it is for. `SettlementCompleted` (the
/// contract) names only the payments, so `merchant_id` is read here until the contract carries it.
public struct SettlementNotice: Decodable, Sendable, Equatable {
    /// The settlement detail types the template's Live rule delivers (`prefix: settlement.`) that the contracts
    /// define; a detail type is routed exactly, so a new `settlement.*` event needs its name added here.
    public static let detailTypes = [SettlementCompleted.detailType]

    public var merchantID: String?
}
