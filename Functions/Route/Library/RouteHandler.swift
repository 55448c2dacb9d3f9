import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayRedis
import Synchronization

/// The route function.
///
/// - A payment context (direct, `POST /route`) gets a decision: gateway, fallbacks, propensity, scores, explored,
///   decision id. With an `idempotency_key`, the decision is kept 15 minutes and a retry gets the same one
///   (`cached: true`).
/// - `payment.processed` from the bus (the contract type: its `decision_id`, `gateway`, `status`, `processor_error`,
///   `latency_ms`) teaches the shared model in Redis, the gateway's breaker and its latency. Feedback for a decision
///   the store no longer knows is counted (`route:feedback:unknown`) and answered `known: false`, not refused.
///
/// The model is shared by every process through `RouteModelStore`; each process decides from a snapshot it
/// refreshes when it is older than `ROUTE_SNAPSHOT_MS` (default 200 ms).
public struct RouteHandler: RoutedFunction {
    public static let routes = FunctionRoutes<RouteHandler>(defaultAction: "decide") { routes in
        routes.http("POST /route", body: JSONValue.self) { route, payment, _, context in
            try await route.decide(payment, requestID: context.requestID).answer
        }
        // pay's RouteRequest (nested context) or the flat form; RouteContext validates both.
        routes.action(RouteRequest.action, body: JSONValue.self) { route, payment, context in
            try await route.decide(payment, requestID: context.requestID).answer
        }
        routes.event(PaymentProcessed.self) { route, processed, _, context in
            try await route.feedback(processed, logger: context.logger)
        }
    }

    /// A decision as answered, and as kept for its feedback: with the context's features (not part of the answer's
    /// contract).
    public struct StoredDecision: Decodable, Sendable, Equatable {
        public var answer: RouteDecision
        public var features: [Double]?

        init(answer: RouteDecision, features: [Double]?) {
            self.answer = answer
            self.features = features
        }

        /// The answer's fields and `features` side by side in one object.
        public init(from decoder: any Decoder) throws {
            answer = try RouteDecision(from: decoder)
            features = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent([Double].self, forKey: .features)
        }

        enum CodingKeys: CodingKey { case features }
    }

    public struct FeedbackReceipt: Codable, Sendable, Equatable {
        public var decisionID: String
        public var gateway: String
        public var known: Bool
        public var breaker: String?
    }

    final class Cache: Sendable {
        struct State {
            var snapshot: RouteSnapshot?
            var takenAt: ContinuousClock.Instant?
            var random: SplitMix64
        }
        let state: Mutex<State>
        init(seed: UInt64) { state = Mutex(State(random: SplitMix64(seed: seed))) }
    }

    public static let decisionSeconds = 900
    public let store: RouteModelStore
    public let catalog: GatewayCatalog
    public let refreshInterval: Duration
    let cache: Cache

    public init(
        store: RouteModelStore, catalog: GatewayCatalog = .standard, refreshInterval: Duration = .milliseconds(200)
    ) {
        self.store = store
        self.catalog = catalog
        self.refreshInterval = refreshInterval
        cache = Cache(seed: store.settings.seed ^ UInt64(UInt32.random(in: 0...UInt32.max)))
    }

    public init(context: InitializationContext) async throws {
        let url = try context.configuration.require("REDIS_URL")
        let settings = RouteCommand.settings(from: context.configuration.values)
        let refresh = try context.configuration.integer("ROUTE_SNAPSHOT_MS", default: 200)
        self.init(
            store: RouteModelStore(
                redis: try RedisClient(url: url, maximumConnections: 4, service: "the routing store"),
                settings: settings),
            refreshInterval: .milliseconds(max(refresh, 0)))
    }

    func decide(_ event: JSONValue, requestID: String) async throws -> StoredDecision {
        let routeContext = try RouteContext(json: event["context"] ?? event)
        let fields = try EventFields(event, what: "the payment")
        let candidates = try fields.strings("gateways")
        let key = try fields.string("idempotency_key", maximum: 255)
        let eligible = try catalog.eligible(for: routeContext, candidates: candidates)
        let redis = store.redis
        if let key, let stored = try await redis.send(["GET", stickyKey(key)]).bytes {
            var decision = try Self.decode(stored)
            decision.answer.cached = true
            decision.features = nil
            return decision
        }
        let snapshot = try await currentSnapshot()
        let x = routeContext.features
        let decisionID = "rd_" + requestID
        let views = snapshot.views(at: snapshot.step)
        let chosen: PolicyDecision = cache.state.withLock { state in
            RoutePolicy.decide(
                id: decisionID, context: routeContext, features: x, eligible: eligible, views: views,
                settings: store.settings, random: &state.random)
        }
        var decision = StoredDecision(
            answer: RouteDecision(
                decisionID: decisionID, gateway: chosen.gateway, fallbacks: chosen.fallbacks,
                propensity: chosen.propensity, scores: chosen.scores, explored: chosen.explored, cached: false),
            features: x)
        let record = try Self.encode(decision)
        var commands = [
            ["SET", decisionKey(decisionID), record, "EX", String(Self.decisionSeconds)],
            ["INCR", store.stepKey],
            // The decision log: context, propensity, choice; outcomes are appended by the feedback.
            [
                "XADD", store.prefix + "log", "MAXLEN", "~", "1000000", "*", "decision", decisionID, "context",
                routeContext.json.serializedString, "gateways", eligible.map(\.name).joined(separator: ","),
                "gateway", chosen.gateway, "propensity", String(chosen.propensity),
            ],
        ]
        if let key { commands.append(["SET", stickyKey(key), record, "EX", String(Self.decisionSeconds), "NX"]) }
        let replies = try await redis.transaction(commands)
        if let key, replies.last == .null,
            let stored = try await redis.send(["GET", stickyKey(key)]).bytes
        {
            // A concurrent retry with the same key decided first: answer with its decision.
            decision = try Self.decode(stored)
            decision.answer.cached = true
        }
        decision.features = nil
        return decision
    }

    func feedback(_ processed: PaymentProcessed, logger: Logger) async throws -> FeedbackReceipt {
        guard let id = processed.decisionID else {
            throw FunctionError.validation("decision_id", "is required (the decision the payment followed)")
        }
        let outcome = try RouteOutcome(processed, catalog: catalog)
        let (gateway, authorized, processorError) = (outcome.gateway, outcome.authorized, outcome.processorError)
        let store = self.store
        let redis = store.redis
        guard let stored = try await redis.send(["GET", decisionKey(id)]).bytes,
            let features = try Self.decode(stored).features
        else {
            _ = try await redis.send(["INCR", store.prefix + "feedback:unknown"])
            logger.info("feedback for an unknown decision", metadata: ["decision_id": .string(id)])
            return FeedbackReceipt(decisionID: id, gateway: gateway, known: false, breaker: nil)
        }
        if authorized || processorError {
            _ = try await store.update(gateway: gateway, features: features, authorized: authorized)
        }
        let breaker = try await store.recordOutcome(outcome)
        _ = try await redis.send([
            "XADD", store.prefix + "log", "MAXLEN", "~", "1000000", "*", "outcome", id, "gateway", gateway,
            "authorized", authorized ? "1" : "0", "processor_error", processorError ? "1" : "0", "latency_ms",
            outcome.latencyMs.map { String($0) } ?? "",
        ])
        return FeedbackReceipt(decisionID: id, gateway: gateway, known: true, breaker: breaker)
    }

    func currentSnapshot() async throws -> RouteSnapshot {
        let now = ContinuousClock.now
        let cached: RouteSnapshot? = cache.state.withLock { state in
            guard let snapshot = state.snapshot, let takenAt = state.takenAt, now - takenAt < refreshInterval else {
                return nil
            }
            return snapshot
        }
        if let cached { return cached }
        let names = catalog.gateways.map(\.name)
        let store = self.store
        var fresh = try await store.snapshot(gateways: names)
        // Forget up to the snapshot's clock once here, not in every decision (each decay re-inverts the matrix).
        for name in fresh.arms.keys { fresh.arms[name]?.decay(to: fresh.step) }
        cache.state.withLock { state in
            state.snapshot = fresh
            state.takenAt = now
        }
        return fresh
    }

    func decisionKey(_ id: String) -> String { store.prefix + "decision:" + id }
    func stickyKey(_ key: String) -> String { store.prefix + "idempotency:" + key }

    static func encode(_ stored: StoredDecision) throws -> String {
        let decision = stored.answer
        var fields: [String: JSONValue] = [
            "decision_id": .string(decision.decisionID), "gateway": .string(decision.gateway),
            "fallbacks": .array(decision.fallbacks.map(JSONValue.string)),
            "propensity": .number(String(decision.propensity)), "explored": .bool(decision.explored),
            "cached": .bool(false),
        ]
        var scores: [String: JSONValue] = [:]
        for (name, score) in decision.scores { scores[name] = .number(String(score)) }
        fields["scores"] = .object(scores)
        if let features = stored.features { fields["features"] = .array(features.map { .number(String($0)) }) }
        return JSONValue.object(fields).serializedString
    }

    static func decode(_ bytes: [UInt8]) throws -> StoredDecision {
        try JSONValueDecoder().decode(StoredDecision.self, from: bytes)
    }
}

extension RouteInputError: FunctionErrorConvertible {
    /// Not an object is malformed input (400); a field breaking a rule is a validation error (422) naming it.
    public var functionError: FunctionError {
        guard let field else { return FunctionError(.invalidRequest, description, underlying: self) }
        return FunctionError(.validation, description, field: field, underlying: self)
    }
}
