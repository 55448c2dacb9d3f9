import Foundation
import SmartPayCore

/// Who hears a bus event over WebSocket, and what each audience sees.
///
/// - `payment.processed`: the merchant (`merchant:{merchant_id}`) sees the whole event; the customer
///   (`customer:{customer_id}`) sees their payment without the platform's fee, net and risk fields.
/// - `reward.minted`: the customer.
/// - `fraud.detected`: the merchant (`merchant_id`, else `terminal_id`, which pay sets to the merchant).
/// - `settlement.*`: the merchant.
/// Subscriptions are checked against the subscriber's identity, so a topic's audience is its owner (or an admin).
public enum Fanout {
    public struct Audience: Sendable, Equatable {
        public let topic: String
        public let data: JSONValue
    }

    /// The fields of a payment a customer sees; the rest (fee, net, risk, decision, gateway) are the merchant's.
    static let customerPaymentFields: Set<String> = [
        "payment_id", "customer_id", "merchant_id", "amount", "currency", "status", "payment_method", "method",
        "decline_code", "decline_message", "created", "description", "reward",
    ]

    /// The audiences of an event, merchant first (a connection in both hears the merchant's view once).
    public static func audiences(detailType: String, detail: JSONValue) -> [Audience] {
        guard case .object(let fields) = detail else { return [] }
        func id(_ name: String) -> String? {
            guard let value = fields[name]?.stringValue, Topic.isValidID(value) else { return nil }
            return value
        }
        var result: [Audience] = []
        switch detailType {
        case "payment.processed":
            if let merchant = id("merchant_id") { result.append(Audience(topic: "merchant:\(merchant)", data: detail)) }
            if let customer = id("customer_id") {
                result.append(
                    Audience(
                        topic: "customer:\(customer)",
                        data: .object(fields.filter { customerPaymentFields.contains($0.key) })))
            }
        case "reward.minted":
            if let customer = id("customer_id") { result.append(Audience(topic: "customer:\(customer)", data: detail)) }
        case "fraud.detected":
            if let merchant = id("merchant_id") ?? id("terminal_id") {
                result.append(Audience(topic: "merchant:\(merchant)", data: detail))
            }
        case let type where type.hasPrefix("settlement."):
            if let merchant = id("merchant_id") { result.append(Audience(topic: "merchant:\(merchant)", data: detail)) }
        default:
            break
        }
        return result
    }

    /// The message a client receives: `{"type": "payment_processed", "event": "payment.processed", "event_id": …,
    /// "time": …, "data": {…}}`.
    public static func message(detailType: String, eventID: String, time: String, data: JSONValue) -> [UInt8] {
        JSONValue.object([
            "type": .string(detailType.replacingOccurrences(of: ".", with: "_")), "event": .string(detailType),
            "event_id": .string(eventID), "time": .string(time), "data": data,
        ]).serialized()
    }
}

/// Topics a connection may subscribe to: `merchant:{id}` and `customer:{id}`.
public enum Topic {
    public static let kinds = ["merchant", "customer"]

    /// Ids as the platform writes them: letters, digits, `_`, `-`, `.`, at most 64.
    static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64
            && id.utf8.allSatisfy {
                $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            }
    }

    /// (kind, id) when the topic is well formed.
    public static func parse(_ topic: String) -> (kind: String, id: String)? {
        let parts = topic.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, kinds.contains(parts[0]), isValidID(parts[1]) else { return nil }
        return (parts[0], parts[1])
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
