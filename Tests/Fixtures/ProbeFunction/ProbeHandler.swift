import FunctionKit
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis

/// The bus's test function: handles an EventBridge delivery once per event id (the dedupe helper), records it in
/// Redis under `probe:{run}:…`, and can publish a follow-on event through the outbox in the same atomic step.
///
/// `detail.mode`: `fail` always fails (a retryable error), `broken` fails while the key `probe:{run}:broken` exists,
/// `invalid` refuses the event (a permanent error), `noop` returns at once (the benchmark's trivial target).
/// `detail.then`: `{"detail_type": …, "detail": {…}}` is published as `smartpay.probe` when the event is handled.
public struct ProbeHandler: FunctionHandler {
    public struct Event: Decodable, Sendable {
        public let run: String
        public let mode: String?
        public let then: FollowOn?
    }

    public struct FollowOn: Decodable, Sendable {
        public let detailType: String
        public let detail: JSONValue
    }

    public struct Output: Encodable, Sendable {
        public let eventId: String
        public let duplicate: Bool
    }

    let redis: RedisClient
    let dedupe: Deduplicator
    let publisher: RedisEventPublisher

    public init(context: InitializationContext) async throws {
        guard let url = context.configuration["REDIS_URL"] else {
            throw FunctionError(.internal, "REDIS_URL is not set")
        }
        redis = try RedisClient(url: url, maximumConnections: 2)
        dedupe = Deduplicator(redis: redis, namespace: "probe", window: .seconds(3600))
        publisher = RedisEventPublisher(redis: redis)
    }

    public func handle(_ event: Event, context: InvocationContext) async throws -> Output {
        guard case .eventBridge(let envelope) = context.source else {
            throw FunctionError(.invalidRequest, "the probe handles EventBridge deliveries only")
        }
        if event.mode == "noop" { return Output(eventId: envelope.id, duplicate: false) }
        let prefix = "probe:\(event.run)"
        try await redis.send(["INCR", "\(prefix):deliveries"])
        switch event.mode {
        case "fail": throw FunctionError(.unavailable, "the probe fails on purpose")
        case "invalid": throw FunctionError(.validation, "the probe refuses this event")
        case "broken":
            if try await redis.send(["EXISTS", "\(prefix):broken"]).integer == 1 {
                throw FunctionError(.unavailable, "the probe is broken while \(prefix):broken exists")
            }
        default: break
        }
        var commands = [["INCR", "\(prefix):handled"], ["SADD", "\(prefix):ids", envelope.id]]
        if let then = event.then {
            // The outbox: the follow-on event is written in the same step as the state change.
            commands += try publisher.commands(for: [
                OutgoingEvent(source: "smartpay.probe", detailType: then.detailType, detail: then.detail)
            ])
        }
        let replies = try await dedupe.once(envelope.id, commands: commands)
        return Output(eventId: envelope.id, duplicate: replies == nil)
    }
}
