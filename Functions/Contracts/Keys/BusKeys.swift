import SmartPayCore

/// Where the bus keeps its data in Redis, shared by the runtime (router, delivery, the `smartpay` command) and the
/// functions' publisher, so both sides name the same keys.
///
/// - `smartpay:bus:{bus}:ingest` — a stream of published events (field `event`, the envelope as JSON, and
///   `published`, milliseconds since the epoch); the router's consumer group fans each one out.
/// - `smartpay:bus:target:{rule}:{target}` — a stream per (rule, target) with the delivery consumer group; an entry
///   leaves it only once the target has handled it (or it moved to a retry or the dead-letter queue).
/// - `smartpay:bus:delayed` — a sorted set of entries due later (delayed events, retries), scored by due time.
/// - `smartpay:bus:{bus}:archive` — the archive's stream, trimmed by its retention.
/// - `smartpay:dlq:{queue}` — a dead-letter queue's stream; `smartpay:dlq` is the set of queue names.
public enum BusKeys {
    public static let root = "smartpay:bus"
    public static let routerGroup = "router"
    public static let deliveryGroup = "delivery"
    public static let delayed = "\(root):delayed"
    public static let deadLetterIndex = "smartpay:dlq"

    public static func ingest(bus: String) -> String { "\(root):\(bus):ingest" }
    public static func archive(bus: String) -> String { "\(root):\(bus):archive" }
    public static func target(rule: String, target: String) -> String { "\(root):target:\(rule):\(target)" }
    public static func deadLetter(queue: String) -> String { "smartpay:dlq:\(queue)" }

    /// The fields of stream entries.
    public enum Field {
        public static let event = "event"
        public static let eventID = "id"
        public static let published = "published"
        public static let attempts = "attempts"
        public static let firstAttempt = "first"
        public static let replay = "replay"
    }

    /// A sorted-set member of `delayed`: the stream to append to when due and the entry's fields. The nonce keeps
    /// two equal entries from collapsing into one member.
    public static func delayedMember(stream: String, fields: [String]) -> String {
        JSONValue.object([
            "k": .string(stream), "f": .array(fields.map { .string($0) }),
            "n": .string(Identifier.random(prefix: "d").rawValue),
        ]).serializedString
    }
}
