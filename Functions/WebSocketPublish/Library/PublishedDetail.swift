import SmartPayCore

/// A bus event's detail read as its contract type, and kept as published: a merchant hears the event whole,
/// fields a producer added after this function was built included (consumers tolerate them; see `BusEventDetail`).
public struct PublishedDetail<Detail: Decodable & Sendable>: Decodable, Sendable {
    public let detail: Detail
    public let json: JSONValue

    public init(from decoder: any Decoder) throws {
        json = try JSONValue(from: decoder)
        detail = try Detail(from: decoder)
    }
}
