/// The detail of one kind of bus event: the type its producer writes and every consumer reads, named by its
/// EventBridge `detail-type`. Consumers tolerate fields they do not know, so a producer may add fields; removing
/// or retyping one is a breaking change to every rule that routes the event.
public protocol BusEventDetail: Codable, Sendable {
    /// The event's `detail-type` (`payment.processed`).
    static var detailType: String { get }
}
