import FunctionKit
import SmartPayCore

/// The messages of the WebSocket API's routes and their answers. API Gateway selects a message's route by its
/// `action` (`$request.body.action`), so each body carries it; any other field it does not declare is refused.
public enum WebSocketMessage {
    /// `subscribe` / `unsubscribe`: `{"action": "subscribe", "topics": ["merchant:m_42"]}` — 1 to 50 well-formed
    /// topics (`Topic`); whether they are the caller's own is checked against the connection's identity.
    public struct Topics: Decodable, Sendable, ValidatedBody {
        public var action: String?
        public var topics: [String]?

        public init(action: String? = nil, topics: [String]?) {
            self.action = action
            self.topics = topics
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case action, topics }

        /// The topics asked for (none before `validate`).
        public var requested: [String] { topics ?? [] }

        public func validate() throws(FunctionError) {
            guard let topics, !topics.isEmpty else {
                throw FunctionError.validation("topics", "expected a non-empty array such as [\"merchant:m_42\"]")
            }
            guard topics.count <= WebSocketPublishHandler.maximumTopics else {
                throw FunctionError.validation("topics", "at most \(WebSocketPublishHandler.maximumTopics) at once")
            }
            for topic in topics where Topic.parse(topic) == nil {
                throw FunctionError.validation(
                    "topics", "\"\(topic.prefix(80))\" is not merchant:{id} or customer:{id}")
            }
        }
    }

    /// `ping`: `{"action": "ping"}`.
    public struct Ping: Decodable, Sendable {
        public var action: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case action }
    }

    /// `$default`: a message no route selected — any JSON, or text that is not JSON. Only its `action` is read, to
    /// name it in the refusal.
    public struct Unrouted: Decodable, Sendable {
        public var action: JSONValue?

        enum CodingKeys: String, CodingKey { case action }

        public init(from decoder: any Decoder) throws {
            let members = try? decoder.container(keyedBy: CodingKeys.self)
            action = (try? members?.decodeIfPresent(JSONValue.self, forKey: .action)) ?? nil
        }

        /// Why the message was not taken: an unknown action, or no action at all.
        public var refusal: FunctionError {
            if let action {
                return FunctionError(
                    .invalidRequest,
                    "unknown action \(action.serializedString.prefix(64)): send subscribe, unsubscribe or ping",
                    field: "action")
            }
            return FunctionError(
                .invalidRequest,
                "a message is a JSON object with an action: {\"action\": \"subscribe\", \"topics\": [\"customer:c_7\"]}"
            )
        }
    }

    /// The answer to `subscribe` / `unsubscribe`: `{"type": "subscribed", "topics": […]}`, every topic the
    /// connection now holds.
    public struct TopicsChanged: Encodable, Sendable, Equatable {
        public var type: String
        public var topics: [String]
    }

    /// The answer to `ping`: `{"type": "pong", "time": …, "connection_id": …}` — the connection's own id, for a
    /// client that wants to be reached through the management API.
    public struct Pong: Encodable, Sendable, Equatable {
        public var type = "pong"
        public var time: String
        public var connectionID: String
    }
}
