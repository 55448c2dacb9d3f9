/// Where WebSocket connections are registered in Redis, shared by the runtime's WebSocket API (which writes a
/// connection's record at `$connect` and removes it when the socket closes) and websocket-publish (which keeps the
/// subscriptions), so both sides name the same keys.
///
/// - `smartpay:ws:connection:{id}` — a hash: `connected_at`, `last_active_at` (ISO 8601), `source_ip`,
///   `user_agent`, `identity` (the authorizer's context as JSON), `stage`; it expires with the connection's
///   maximum duration, so a crash leaves nothing behind for long.
/// - `smartpay:ws:connection:{id}:topics` — a set: the topics the connection subscribed to.
/// - `smartpay:ws:topic:{topic}` — a set: the connections subscribed to a topic (`merchant:m_42`, `customer:c_7`).
public enum ConnectionKeys {
    public static let root = "smartpay:ws"

    public static func connection(_ id: String) -> String { "\(root):connection:\(id)" }
    public static func topics(of id: String) -> String { "\(root):connection:\(id):topics" }
    public static func topic(_ name: String) -> String { "\(root):topic:\(name)" }
}
