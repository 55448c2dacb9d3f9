import FunctionKit
import SmartPayCore

/// The bodies of pay's routes beside `POST /pay` (whose body `PaymentRequest` reads); each refuses unknown fields.
/// A payment's id comes from the path behind the HTTP API and from the body when invoked directly.
public enum PayAction {
    public struct Lookup: Decodable, Sendable, ValidatedBody {
        public var id: String
        enum CodingKeys: String, CodingKey, CaseIterable { case id }
        public func validate() throws(FunctionError) { try FieldRule.text(id, "id") }
    }

    /// `GET /payments?…` and the direct `list`.
    public struct ListQuery: Decodable, Sendable, ValidatedBody {
        public var customerID: String?
        public var merchantID: String?
        public var limit: Int?
        public var startingAfter: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case customerID, merchantID, limit, startingAfter }

        init(query: [String: String]) throws(FunctionError) {
            customerID = query["customer_id"]
            merchantID = query["merchant_id"]
            startingAfter = query["starting_after"]
            if let text = query["limit"] {
                guard let parsed = Int(text) else {
                    throw FunctionError.validation("limit", "expected an integer 1–100")
                }
                limit = parsed
            }
            try validate()
        }

        public func validate() throws(FunctionError) {
            try FieldRule.text(customerID, "customer_id")
            try FieldRule.text(merchantID, "merchant_id")
            try FieldRule.text(startingAfter, "starting_after")
        }
    }

    /// `POST /payments/{id}/refund` and the direct `refund`: all that is left without `amount`.
    public struct Refund: Decodable, Sendable, ValidatedBody {
        public var id: String?
        public var amount: MinorUnits?
        public var reason: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case id, amount, reason }
        public func validate() throws(FunctionError) {
            try FieldRule.text(id, "id")
            try FieldRule.text(reason, "reason", maximum: 500)
        }
    }

    /// `POST /payments/{id}/cancel` and the direct `cancel`.
    public struct Cancel: Decodable, Sendable, ValidatedBody {
        public var id: String?
        public var reason: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case id, reason }
        public func validate() throws(FunctionError) {
            try FieldRule.text(id, "id")
            try FieldRule.text(reason, "reason", maximum: 500)
        }
    }

    /// The direct `merchant.save`: the fields given replace the profile's (or the service's default profile's).
    public struct MerchantUpdate: Decodable, Sendable, ValidatedBody {
        public var merchantID: String
        public var feeBps: MinorUnits?
        public var feeFixed: MinorUnits?
        public var highRisk: String?
        public var country: String?
        public var category: String?
        enum CodingKeys: String, CodingKey, CaseIterable {
            case merchantID, feeBps, feeFixed, highRisk, country, category
        }

        public func validate() throws(FunctionError) {
            try FieldRule.text(merchantID, "merchant_id")
            if let bps = feeBps?.value, !(0...10_000).contains(bps) {
                throw FunctionError.validation("fee_bps", "expected 0–10000, got \(bps)")
            }
            if let fixed = feeFixed?.value, fixed < 0 {
                throw FunctionError.validation("fee_fixed", "must not be negative, got \(fixed)")
            }
            if let highRisk, MerchantProfile.HighRiskPolicy(rawValue: highRisk) == nil {
                throw FunctionError.validation("high_risk", "expected decline or review, got \"\(highRisk)\"")
            }
            try FieldRule.country(country, "country")
            try FieldRule.text(category, "category", maximum: 64)
        }
    }

    /// The direct `customer.save`: the customer's KYC level.
    public struct CustomerUpdate: Decodable, Sendable, ValidatedBody {
        public var customerID: String
        public var kycLevel: String
        enum CodingKeys: String, CodingKey, CaseIterable { case customerID, kycLevel }
        public func validate() throws(FunctionError) {
            try FieldRule.text(customerID, "customer_id")
            try FieldRule.text(kycLevel, "kyc_level", maximum: 32)
        }
    }
}
