import SmartPayCore

/// An event on SmartPay's bus in Amazon EventBridge's envelope, so the same bytes flow locally and on AWS.
///
/// `detail-type` names what happened (`payment.processed`), `source` who said so (`smartpay.pay`); `detail` is one
/// of the contract types in this module (or `JSONValue` for a reader that takes any event).
public struct EventEnvelope<Detail: Codable & Sendable>: Codable, Sendable {
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
        account: String = LocalAWS.account,
        time: Timestamp = .now(),
        region: String = LocalAWS.region,
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

    /// The envelope's fields without the detail.
    public var header: EventBridgeEnvelope {
        EventBridgeEnvelope(
            id: id, detailType: detailType, source: source, account: account, time: time, region: region,
            resources: resources)
    }
}

/// The fields of EventBridge's envelope around a delivered `detail`: what a consumer knows of an event beside it.
public struct EventBridgeEnvelope: Sendable, Equatable {
    public let id: String
    public let detailType: String
    public let source: String
    public let account: String
    public let time: String
    public let region: String
    public let resources: [String]

    public init(
        id: String, detailType: String, source: String, account: String = LocalAWS.account, time: String,
        region: String = LocalAWS.region, resources: [String] = []
    ) {
        self.id = id
        self.detailType = detailType
        self.source = source
        self.account = account
        self.time = time
        self.region = region
        self.resources = resources
    }
}

/// The account and region of the local runtime (LocalStack's and SAM's convention), the one place they are named:
/// the bus's envelopes, the template's ARNs and the Lambda endpoint use them.
public enum LocalAWS {
    public static let account = "000000000000"
    public static let region = "us-east-1"
}
