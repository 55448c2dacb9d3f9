/// What websocket-publish reads from any `settlement.*` detail: the merchant it is for. Every settlement event
/// the template's Live rule delivers (`prefix: settlement.`) comes through one prefix route, so a new one needs no
/// change here as long as it names its `merchant_id`.
public struct SettlementNotice: Decodable, Sendable, Equatable {
    public static let prefix = "settlement."

    public var merchantID: String?
}
