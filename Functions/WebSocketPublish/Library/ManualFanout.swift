import FunctionKit
import SmartPayContracts
import SmartPayCore

/// A manual fan-out, invoked directly (a demo, a benchmark, an operator): `{"detail-type": "payment.processed",
/// "detail": {…}, "id": "…"}` (`id` optional). The detail reaches the audiences its ids name by the bus event's
/// rules (`LiveEvent`) and needs no more than those ids: `merchant_id` and `customer_id` (for `fraud.detected`
/// `merchant_id`, else `terminal_id`), so a detail need not be complete; a payment's customer hears the
/// `CustomerPaymentView` fields the detail has. A detail type no live rule names reaches nobody.
public struct ManualFanout: Decodable, Sendable {
    /// The direct action, and the default: a direct event without `action` is a manual fan-out.
    public static let action = "publish"

    public var detailType: String
    public var id: String?
    public var event: LiveEvent

    enum CodingKeys: String, CodingKey, CaseIterable {
        case detailType = "detail-type"
        case detail, id
    }

    /// The ids a detail may name its audiences by; any other field is the detail's own business.
    struct AudienceIDs: Decodable {
        var merchantID: String?
        var customerID: String?
        var terminalID: String?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        detailType = try container.decode(String.self, forKey: .detailType)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        let detail = try container.decode(JSONValue.self, forKey: .detail)
        let ids = try container.decode(AudienceIDs.self, forKey: .detail)
        switch detailType {
        case PaymentProcessed.detailType:
            let view = try container.decode(CustomerPaymentView.self, forKey: .detail)
            event = LiveEvent(
                merchantID: ids.merchantID, customerID: ids.customerID, detail: detail,
                customerView: try JSONValueEncoder().encode(view))
        case RewardMoved.minted:
            event = LiveEvent(customerID: ids.customerID, detail: detail)
        case FraudDetected.detailType:
            event = LiveEvent(merchantID: ids.merchantID ?? ids.terminalID, detail: detail)
        case let type where type.hasPrefix("settlement."):
            event = LiveEvent(merchantID: ids.merchantID, detail: detail)
        default:
            event = LiveEvent(detail: detail)
        }
    }

    /// The envelope the bus would have put around it: source `manual`, sent now.
    public var envelope: EventBridgeEnvelope {
        EventBridgeEnvelope(
            id: id ?? "manual", detailType: detailType, source: "manual", account: "",
            time: Timestamp.now().format(fractional: false), region: "", resources: [])
    }
}
