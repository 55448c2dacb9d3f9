import FunctionKit
import SmartPayCore

extension WebSocketPublishHandler {
    /// `subscribe`: adds the topics, each the caller's own; at most `maximumTopics` per connection.
    func subscribe(_ connection: String, to topics: [String], identity: Identity?) async throws
        -> WebSocketMessage.TopicsChanged
    {
        let topics = try Self.owned(topics, by: identity)
        let now = try await subscriptions.subscribe(connection, to: topics)
        if now.count > Self.maximumTopics {
            _ = try await subscriptions.unsubscribe(connection, from: topics)
            throw FunctionError.validation("topics", "a connection may hold at most \(Self.maximumTopics) topics")
        }
        return WebSocketMessage.TopicsChanged(type: "subscribed", topics: now)
    }

    /// `unsubscribe`: removes the topics, each the caller's own.
    func unsubscribe(_ connection: String, from topics: [String], identity: Identity?) async throws
        -> WebSocketMessage.TopicsChanged
    {
        let topics = try Self.owned(topics, by: identity)
        let now = try await subscriptions.unsubscribe(connection, from: topics)
        return WebSocketMessage.TopicsChanged(type: "unsubscribed", topics: now)
    }

    /// The topics (well formed: `WebSocketMessage.Topics` checked them), once each and sorted, when every one is the
    /// caller's to hear.
    /// - Throws: `FunctionError.forbidden` naming `topics` for the first that is not.
    static func owned(_ topics: [String], by identity: Identity?) throws(FunctionError) -> [String] {
        for topic in topics {
            guard let (kind, id) = Topic.parse(topic),
                identity?.mayAccess(
                    customerID: kind == "customer" ? id : nil, merchantID: kind == "merchant" ? id : nil) == true
            else {
                throw FunctionError(.forbidden, "topics: \(topic) is not yours to hear", field: "topics")
            }
        }
        return Array(Set(topics)).sorted()
    }
}
