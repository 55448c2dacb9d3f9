import SmartPayContracts
import SmartPayCore
import Synchronization

/// The policy's knobs. Defaults were chosen on the benchmark's seeds 100–102 (`Tests/Benchmarks/route/`), not on
/// the seeds 0–9 its table reports.
public struct RouterSettings: Sendable, Equatable {
    /// Per-decision forgetting of the success models (half-life ln 2 / (1 − γ) decisions).
    public var gamma = 0.9999
    /// Ridge prior strength.
    public var lambda = 1.0
    /// Width of the upper confidence bound, in standard errors.
    public var alpha = 0.2
    /// Share of decisions explored uniformly among the available gateways, so every decision has a known
    /// propensity > 0 for off-policy evaluation.
    public var epsilon = 0.005
    /// Reward lost per second of gateway latency.
    public var latencyWeightPerSecond = 0.02
    public var seed: UInt64 = 0x5EED

    public init() {}
}

/// What the policy decided for one payment (the bandit's own view; the function answers `RouteDecision`).
public struct PolicyDecision: Sendable, Encodable, Equatable {
    public var decisionId: String
    public var gateway: String
    /// The other available gateways, best first, for pay's failover.
    public var fallbacks: [String]
    /// The probability the policy gave the chosen gateway.
    public var propensity: Double
    /// Each available gateway's estimated net reward (authorisation probability × (1 − fee share) − latency cost).
    public var scores: [String: Double]
    /// True when the choice was the uniform exploration, not the policy's best.
    public var explored: Bool
}

/// A payment's outcome at the gateway that processed it.
public struct RouteOutcome: Sendable, Equatable {
    public var gateway: String
    public var authorized: Bool
    /// A failure on the processor's side (timeout, 5xx, network); false for the customer's own decline.
    public var processorError: Bool
    public var latencyMs: Double?

    public init(gateway: String, authorized: Bool, processorError: Bool, latencyMs: Double? = nil) {
        self.gateway = gateway
        self.authorized = authorized
        self.processorError = processorError
        self.latencyMs = latencyMs
    }

    /// The outcome a `payment.processed` reports: authorised when the payment succeeded.
    /// - Throws: `RouteInputError` naming `gateway` when it is missing or not the catalogue's.
    public init(_ processed: PaymentProcessed, catalog: GatewayCatalog) throws(RouteInputError) {
        guard let gateway = processed.gateway else { throw RouteInputError("gateway", "is required") }
        guard catalog.profile(gateway) != nil else {
            throw RouteInputError("gateway", "unknown gateway \"\(gateway)\"")
        }
        if let latency = processed.latencyMs, latency < 0 {
            throw RouteInputError("latency_ms", "expected a non-negative number")
        }
        self.init(
            gateway: gateway, authorized: processed.status == .succeeded, processorError: processed.processorError,
            latencyMs: processed.latencyMs.map(Double.init))
    }

    /// Reads an outcome as `route --stdio` carries it: `gateway` (one of the catalogue's),
    /// `authorized` (true/false) or a `status` (`succeeded`, `authorized`, `captured`, `settled` count as
    /// authorised), `processor_error` (default false), `latency_ms` (optional, ≥ 0).
    /// - Throws: `RouteInputError` naming the field.
    public init(json: JSONValue, catalog: GatewayCatalog) throws(RouteInputError) {
        let fields = try JSONFields(json, what: "the feedback", failure: RouteInputError.init)
        guard let gateway = try fields.string("gateway", maximum: 64) else {
            throw RouteInputError("gateway", "is required")
        }
        guard catalog.profile(gateway) != nil else {
            throw RouteInputError("gateway", "unknown gateway \"\(gateway)\"")
        }
        let authorized: Bool
        if let flag = try fields.bool("authorized") {
            authorized = flag
        } else if let status = try fields.string("status", maximum: 64) {
            authorized = ["succeeded", "authorized", "captured", "settled"].contains(status)
        } else {
            throw RouteInputError("authorized", "expected authorized (true/false) or a status")
        }
        let latency = try fields.number("latency_ms")
        if let latency, latency < 0 { throw RouteInputError("latency_ms", "expected a non-negative number") }
        self.init(
            gateway: gateway, authorized: authorized, processorError: try fields.bool("processor_error") ?? false,
            latencyMs: latency)
    }
}

/// The contextual-bandit router: per gateway a discounted ridge model of the authorisation probability given the
/// context (LinUCB with forgetting), the fee from the catalogue, a latency estimate, a circuit breaker; ε-uniform
/// exploration on top for known propensities. Thread-safe; one instance per process.
public final class Router: Sendable {
    struct Pending {
        var features: [Double]
        var context: RouteContext
    }

    struct State {
        var step = 0
        var arms: [String: DiscountedRidge] = [:]
        var latencyMean: [String: Double] = [:]
        var breakers: [String: CircuitBreaker] = [:]
        var pending: [String: Pending] = [:]
        var pendingOrder: [String] = []
        var pendingHead = 0
        var random: SplitMix64
        var unknownFeedback = 0
    }

    public let catalog: GatewayCatalog
    public let settings: RouterSettings
    /// Decisions remembered for their feedback; older ones are forgotten first.
    public let pendingCapacity: Int
    private let state: Mutex<State>

    public init(
        catalog: GatewayCatalog = .standard, settings: RouterSettings = RouterSettings(), pendingCapacity: Int = 500_000
    ) {
        self.catalog = catalog
        self.settings = settings
        self.pendingCapacity = pendingCapacity
        state = Mutex(State(random: SplitMix64(seed: settings.seed)))
    }

    /// Feedback that named no known decision (counted, not an error to the caller).
    public var unknownFeedbackCount: Int { state.withLock { $0.unknownFeedback } }

    public func breakerState(_ gateway: String) -> CircuitBreaker.State {
        state.withLock { state in
            let step = state.step
            return state.breakers[gateway]?.state(at: step) ?? .closed
        }
    }

    /// Chooses a gateway.
    /// - Throws: `RouteInputError` for an unknown candidate or when no gateway is eligible.
    public func decide(id: String, context: RouteContext, candidates: [String]? = nil) throws(RouteInputError)
        -> PolicyDecision
    {
        let eligible = try catalog.eligible(for: context, candidates: candidates)
        let x = context.features
        let settings = self.settings
        return state.withLock { state in
            state.step += 1
            let step = state.step
            var views: [String: GatewayView] = [:]
            for gateway in eligible {
                var arm =
                    state.arms[gateway.name]
                    ?? DiscountedRidge(
                        dimension: x.count, gamma: settings.gamma, lambda: settings.lambda)
                // Let idle evidence fade before judging (cheap to skip when little time has passed).
                if step - arm.lastStep >= 32 { arm.decay(to: step) }
                state.arms[gateway.name] = arm
                views[gateway.name] = GatewayView(
                    arm: arm, latencyMs: state.latencyMean[gateway.name],
                    open: state.breakers[gateway.name]?.state(at: step) == .open)
            }
            let decision = RoutePolicy.decide(
                id: id, context: context, features: x, eligible: eligible, views: views, settings: settings,
                random: &state.random)
            state.pending[id] = Pending(features: x, context: context)
            state.pendingOrder.append(id)
            if state.pendingOrder.count - state.pendingHead > pendingCapacity {
                state.pending[state.pendingOrder[state.pendingHead]] = nil
                state.pendingHead += 1
                if state.pendingHead > 65_536 {
                    state.pendingOrder.removeFirst(state.pendingHead)
                    state.pendingHead = 0
                }
            }
            return decision
        }
    }

    /// Learns from an outcome. A customer's decline (not authorised, no processor error) teaches nothing about the
    /// gateway and is not counted against it.
    /// - Returns: false when the decision is not known (too old, or never made here).
    @discardableResult
    public func feedback(id: String, outcome: RouteOutcome) -> Bool {
        state.withLock { state in
            guard let pending = state.pending[id] else {
                state.unknownFeedback += 1
                return false
            }
            let step = state.step
            if let latency = outcome.latencyMs, latency >= 0 {
                let previous = state.latencyMean[outcome.gateway] ?? latency
                state.latencyMean[outcome.gateway] = previous + (latency - previous) * 0.05
            }
            guard outcome.authorized || outcome.processorError else { return true }
            var arm =
                state.arms[outcome.gateway]
                ?? DiscountedRidge(
                    dimension: pending.features.count, gamma: settings.gamma, lambda: settings.lambda)
            arm.update(pending.features, outcome.authorized ? 1 : 0, step: step)
            state.arms[outcome.gateway] = arm
            state.breakers[outcome.gateway, default: CircuitBreaker()].record(
                processorError: outcome.processorError, step: step)
            return true
        }
    }
}

/// What the policy knows of one gateway when it decides.
public struct GatewayView: Sendable {
    public var arm: DiscountedRidge?
    public var latencyMs: Double?
    /// Its circuit breaker is open.
    public var open: Bool

    public init(arm: DiscountedRidge?, latencyMs: Double?, open: Bool) {
        self.arm = arm
        self.latencyMs = latencyMs
        self.open = open
    }
}

/// The choice itself, from what is known of each eligible gateway: the same code for the in-process router and the
/// function deciding from its Redis snapshot.
public enum RoutePolicy {
    public static func decide(
        id: String, context: RouteContext, features x: [Double], eligible: [GatewayProfile],
        views: [String: GatewayView], settings: RouterSettings, random: inout SplitMix64
    ) -> PolicyDecision {
        var scored: [(name: String, selection: Double, estimate: Double, open: Bool)] = []
        for gateway in eligible {
            let view = views[gateway.name]
            let arm = view?.arm ?? DiscountedRidge(dimension: x.count, gamma: settings.gamma, lambda: settings.lambda)
            let (mean, width) = arm.predict(x)
            let keep = 1 - Double(gateway.fee(for: context.money)) / Double(context.money.minorUnits)
            let latency = (view?.latencyMs ?? 0) / 1000 * settings.latencyWeightPerSecond
            let estimate = min(max(mean, 0), 1) * keep - latency
            let selection = (mean + settings.alpha * width) * keep - latency
            scored.append((gateway.name, selection, estimate, view?.open ?? false))
        }
        // A gateway whose breaker is open is offered only when every eligible one is open.
        let available = scored.contains { !$0.open } ? scored.filter { !$0.open } : scored
        let ranked = available.sorted { $0.selection > $1.selection }
        let k = Double(ranked.count)
        let explored = ranked.count > 1 && random.nextDouble() < settings.epsilon
        let chosen = explored ? ranked[Int(random.next() % UInt64(ranked.count))] : ranked[0]
        let propensity =
            (chosen.name == ranked[0].name ? 1 - settings.epsilon : 0)
            + (ranked.count > 1 ? settings.epsilon / k : settings.epsilon)
        var scores: [String: Double] = [:]
        for entry in scored { scores[entry.name] = (entry.estimate * 10_000).rounded() / 10_000 }
        return PolicyDecision(
            decisionId: id, gateway: chosen.name, fallbacks: ranked.map(\.name).filter { $0 != chosen.name },
            propensity: min(propensity, 1), scores: scores, explored: explored && chosen.name != ranked[0].name)
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64), so a run can be repeated exactly.
public struct SplitMix64: Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
