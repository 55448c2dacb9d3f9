import Foundation
import SmartPayCore

/// Who hears a live event over WebSocket (`LiveEvent` reads the audiences from the event's contract type), and the
/// message they receive. Subscriptions are checked against the subscriber's identity, so a topic's audience is its
/// owner (or an admin).
public enum Fanout {
    public struct Audience: Sendable, Equatable {
        public let topic: String
        public let data: JSONValue
    }

    /// The event's audiences, merchant first (a connection in both hears the merchant's view once). An id that is
    /// not an id (`Topic`) reaches nobody rather than a topic of its own making.
    public static func audiences(of event: LiveEvent) -> [Audience] {
        var result: [Audience] = []
        if let merchant = event.merchantID, Topic.isValidID(merchant) {
            result.append(Audience(topic: "merchant:\(merchant)", data: event.detail))
        }
        if let customer = event.customerID, Topic.isValidID(customer) {
            result.append(Audience(topic: "customer:\(customer)", data: event.customerView))
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
