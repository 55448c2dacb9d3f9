/// An event on SmartPay's bus, in Amazon EventBridge's envelope, so the same bytes flow locally and on AWS.
///
/// `detail-type` names what happened (`payment.processed`), `source` who said so (`smartpay.pay`).
public struct BusEvent<Detail: Codable & Sendable>: Codable, Sendable {
    public var version: String
    public var id: String
    public var detailType: String
    public var source: String
    public var account: String
    public var time: String
    public var region: String
    public var resources: [String]
    public var detail: Detail

    public init(
        id: String = Identifier.random(prefix: "evt").rawValue,
        detailType: String,
        source: String,
        account: String = BusEvent.localAccount,
        time: Timestamp = .now(),
        region: String = BusEvent.localRegion,
        resources: [String] = [],
        detail: Detail
    ) {
        self.version = "0"
        self.id = id
        self.detailType = detailType
        self.source = source
        self.account = account
        self.time = time.format(fractional: false)
        self.region = region
        self.resources = resources
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case version, id, source, account, time, region, resources, detail
        case detailType = "detail-type"
    }

    /// The account id used by the local runtime (LocalStack's and SAM's convention).
    public static var localAccount: String { "000000000000" }
    public static var localRegion: String { "us-east-1" }
}
