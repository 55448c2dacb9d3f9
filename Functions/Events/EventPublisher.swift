import SmartPayContracts
import SmartPayCore
import SmartPayRedis
import Synchronization

/// An event a function publishes: EventBridge's `source`, `detail-type` and `detail`, with its id fixed up front so
/// that a retried publish carries the same id (and consumers drop the duplicate).
public struct OutgoingEvent: Sendable {
    public var source: String
    public var detailType: String
    public var detail: JSONValue
    public var resources: [String]
    public var id: String
    public var time: Timestamp

    public init(
        source: String, detailType: String, detail: JSONValue, resources: [String] = [],
        id: String = Identifier.random(prefix: "evt").rawValue, time: Timestamp = .now()
    ) {
        self.source = source
        self.detailType = detailType
        self.detail = detail
        self.resources = resources
        self.id = id
        self.time = time
    }

    /// An event whose detail is one of the contract types, encoded as its consumers decode it.
    /// - Throws: `EventPublishError` when the detail cannot be written as JSON (a non-finite number).
    public init(
        source: String, detailType: String, detail: some Encodable & Sendable, resources: [String] = [],
        id: String = Identifier.random(prefix: "evt").rawValue, time: Timestamp = .now()
    ) throws(EventPublishError) {
        let value: JSONValue
        do { value = try JSONValueEncoder().encode(detail) } catch {
            throw EventPublishError("event \(id) (\(detailType)): the detail cannot be written as JSON: \(error)")
        }
        self.init(source: source, detailType: detailType, detail: value, resources: resources, id: id, time: time)
    }

    /// An event of a contract type, under its own `detail-type`.
    /// - Throws: `EventPublishError` when the detail cannot be written as JSON (a non-finite number).
    public init<Detail: BusEventDetail>(
        source: String, _ detail: Detail, resources: [String] = [],
        id: String = Identifier.random(prefix: "evt").rawValue, time: Timestamp = .now()
    ) throws(EventPublishError) {
        try self.init(
            source: source, detailType: Detail.detailType, detail: detail, resources: resources, id: id, time: time)
    }

    /// The event in EventBridge's envelope, validated as PutEvents validates an entry.
    /// - Throws: `EventPublishError` naming what is wrong (no source, an `aws.` source, detail not an object,
    ///   over 256 KB).
    public func envelope() throws(EventPublishError) -> JSONValue {
        let entry = PutEvents.Entry(
            source: source, detailType: detailType, detail: detail.serializedString, resources: resources,
            time: time.format(fractional: false))
        do throws(PutEvents.EntryError) {
            return try PutEvents.envelope(for: entry, id: id, now: time)
        } catch {
            throw EventPublishError("event \(id) (\(detailType)): \(error.code): \(error.message)")
        }
    }
}

/// Why an event was not published. Nothing was written when this is thrown.
public struct EventPublishError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The bus seam: how a function publishes events.
public protocol EventPublisher: Sendable {
    /// Publishes the events now, or for delivery at `deliverAt`, all or none.
    /// - Returns: their event ids.
    @discardableResult
    func publish(_ events: [OutgoingEvent], deliverAt: Timestamp?) async throws -> [String]
}

extension EventPublisher {
    @discardableResult
    public func publish(_ event: OutgoingEvent, deliverAt: Timestamp? = nil) async throws -> String {
        try await publish([event], deliverAt: deliverAt)[0]
    }
}

/// Publishes straight to the bus's ingest stream in Redis (locally, and wherever the runtime's Redis is).
///
/// The outbox: `publish(_:with:)` writes the events in the same `MULTI`/`EXEC` as the state change that causes
/// them, so no state change is ever without its event and no event without its state change. A caller with its
/// own transaction takes `commands(for:)` into it.
public final class RedisEventPublisher: EventPublisher {
    public let redis: RedisClient
    public let bus: String

    public init(redis: RedisClient, bus: String = "default") {
        self.redis = redis
        self.bus = bus
    }

    /// A publisher on `REDIS_URL`.
    public convenience init(url: String, bus: String = "default") throws(RedisError) {
        self.init(redis: try RedisClient(url: url, maximumConnections: 4), bus: bus)
    }

    /// The Redis commands that publish `events`: `XADD` to the ingest stream, or `ZADD` to the delayed set when
    /// `deliverAt` is in the future.
    /// - Throws: `EventPublishError` for an invalid event; no command is returned then.
    public func commands(for events: [OutgoingEvent], deliverAt: Timestamp? = nil, now: Timestamp = .now())
        throws(EventPublishError) -> [[String]]
    {
        var commands: [[String]] = []
        let stream = BusKeys.ingest(bus: bus)
        for event in events {
            let fields = [
                BusKeys.Field.event, try event.envelope().serializedString, BusKeys.Field.published,
                String(now.millisecondsSinceEpoch),
            ]
            if let deliverAt, deliverAt > now {
                commands.append([
                    "ZADD", BusKeys.delayed, String(deliverAt.millisecondsSinceEpoch),
                    BusKeys.delayedMember(stream: stream, fields: fields),
                ])
            } else {
                commands.append(["XADD", stream, "*"] + fields)
            }
        }
        return commands
    }

    @discardableResult
    public func publish(_ events: [OutgoingEvent], deliverAt: Timestamp? = nil) async throws -> [String] {
        let commands = try commands(for: events, deliverAt: deliverAt)
        if commands.count == 1 {
            try await redis.send(commands[0])
        } else if !commands.isEmpty {
            _ = try await redis.transaction(commands)
        }
        return events.map(\.id)
    }

    /// The outbox: runs `stateChanges` and publishes `events` atomically in one `MULTI`/`EXEC`.
    /// - Returns: the replies to `stateChanges`.
    public func publish(_ events: [OutgoingEvent], with stateChanges: [[String]], deliverAt: Timestamp? = nil)
        async throws -> [RedisReply]
    {
        let publishing = try commands(for: events, deliverAt: deliverAt)
        let replies = try await redis.transaction(stateChanges + publishing)
        return Array(replies.prefix(stateChanges.count))
    }
}

/// The test double: keeps what was published in memory.
public final class RecordingEventPublisher: EventPublisher {
    public struct Published: Sendable {
        public let event: JSONValue
        public let deliverAt: Timestamp?
    }

    private let recorded = Mutex<[Published]>([])

    public init() {}

    public var published: [Published] { recorded.withLock { $0 } }

    @discardableResult
    public func publish(_ events: [OutgoingEvent], deliverAt: Timestamp?) async throws -> [String] {
        var envelopes: [Published] = []
        for event in events { envelopes.append(Published(event: try event.envelope(), deliverAt: deliverAt)) }
        recorded.withLock { $0 += envelopes }
        return events.map(\.id)
    }
}

/// Events the bus delivers at `at` (a watcher's next look, the end of a hold), written with a state change.
public struct ScheduledEvents: Sendable {
    public var events: [OutgoingEvent]
    public var at: Timestamp

    public init(_ events: [OutgoingEvent], at: Timestamp) {
        self.events = events
        self.at = at
    }
}

extension RedisEventPublisher {
    /// The commands of `events` now and of `later` at its time, for a script that writes them with its own state.
    public func commands(for events: [OutgoingEvent], later: ScheduledEvents?) throws -> [[String]] {
        var commands = try self.commands(for: events)
        if let later { commands += try self.commands(for: later.events, deliverAt: later.at) }
        return commands
    }
}
