import SmartPayCore

/// One logged decision with its outcome: what off-policy evaluation reads (a line of `route:log` exported as JSON).
///
/// JSON: `{"decision_id", "context": {…the route context…}, "gateways": [the eligible ones], "gateway": chosen,
/// "propensity": p > 0, "reward": r}` (`reward` absent or null for a decision whose outcome never came: skipped).
public struct LoggedDecision: Sendable, Equatable {
    public var id: String
    public var context: RouteContext
    public var gateways: [String]
    public var chosen: String
    public var propensity: Double
    public var reward: Double?
    /// The outcome's kind, when logged: a router candidate learns from these as the live router does.
    public var authorized: Bool?
    public var processorError: Bool?

    public init(
        id: String, context: RouteContext, gateways: [String], chosen: String, propensity: Double, reward: Double?,
        authorized: Bool? = nil, processorError: Bool? = nil
    ) {
        self.id = id
        self.context = context
        self.gateways = gateways
        self.chosen = chosen
        self.propensity = propensity
        self.reward = reward
        self.authorized = authorized
        self.processorError = processorError
    }

    /// - Throws: `RouteInputError` naming the field (and the line, in `OffPolicyEvaluation.read`).
    public init(json: JSONValue) throws(RouteInputError) {
        guard let id = json["decision_id"]?.stringValue else {
            throw RouteInputError("decision_id", "is required")
        }
        self.id = id
        context = try RouteContext(json: json["context"] ?? .null)
        guard case .array(let names)? = json["gateways"], !names.isEmpty else {
            throw RouteInputError("gateways", "expected the eligible gateways")
        }
        gateways = names.compactMap(\.stringValue)
        guard let chosen = json["gateway"]?.stringValue, gateways.contains(chosen) else {
            throw RouteInputError("gateway", "expected one of the eligible gateways")
        }
        self.chosen = chosen
        guard case .number(let text)? = json["propensity"], let propensity = Double(text), propensity > 0,
            propensity <= 1
        else {
            throw RouteInputError("propensity", "expected the logging policy's probability, in (0, 1]")
        }
        self.propensity = propensity
        if let value = json["reward"], !value.isNull {
            guard case .number(let text) = value, let reward = Double(text) else {
                throw RouteInputError("reward", "expected a number")
            }
            self.reward = reward
        }
        if case .bool(let flag)? = json["authorized"] { authorized = flag }
        if case .bool(let flag)? = json["processor_error"] { processorError = flag }
    }

    /// The line's JSON, as `route log export` writes it.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "decision_id": .string(id), "context": context.json, "gateways": .array(gateways.map(JSONValue.string)),
            "gateway": .string(chosen), "propensity": .number(String(propensity)),
            "reward": reward.map { .number(String($0)) } ?? .null,
        ]
        if let authorized { fields["authorized"] = .bool(authorized) }
        if let processorError { fields["processor_error"] = .bool(processorError) }
        return .object(fields)
    }
}

/// A policy to evaluate from a log, read from a JSON file:
/// `{"policy": "static", "gateway": "stripe"}` (that gateway when eligible, else the first eligible),
/// `{"policy": "uniform"}`, or `{"policy": "router", "gamma": …, "alpha": …, "epsilon": …}` — the router with those
/// settings, learning from the log as it goes (so its value is that of the sequence of policies it would have been).
public enum CandidatePolicy: Sendable {
    case fixed(String)
    case uniform
    case router(RouterSettings)

    public init(json: JSONValue) throws(RouteInputError) {
        switch json["policy"]?.stringValue {
        case "static":
            guard let gateway = json["gateway"]?.stringValue else {
                throw RouteInputError("gateway", "a static policy names its gateway")
            }
            self = .fixed(gateway)
        case "uniform": self = .uniform
        case "router":
            var settings = RouterSettings()
            func number(_ name: String) throws(RouteInputError) -> Double? {
                guard let value = json[name] else { return nil }
                guard case .number(let text) = value, let number = Double(text) else {
                    throw RouteInputError(name, "expected a number")
                }
                return number
            }
            if let gamma = try number("gamma") { settings.gamma = gamma }
            if let alpha = try number("alpha") { settings.alpha = alpha }
            if let epsilon = try number("epsilon") { settings.epsilon = epsilon }
            if let weight = try number("latency_weight") { settings.latencyWeightPerSecond = weight }
            self = .router(settings)
        default:
            throw RouteInputError("policy", "expected static, uniform or router")
        }
    }
}

/// Estimates of a candidate policy's mean reward per decision from a log made by another policy:
/// inverse propensity scoring (IPS: mean of π(a|x) / p · r) and doubly robust (DR: the candidate's own reward model
/// r̂ for every action, corrected by IPS on the logged action's residual). The logging propensities must be > 0
/// wherever the candidate can act — SmartPay's router explores uniformly for that reason.
public enum OffPolicyEvaluation {
    public struct Estimate: Sendable, Equatable {
        public var decisions: Int
        public var ips: Double
        public var doublyRobust: Double
        /// The mean logged reward: the logging policy's own value, for comparison.
        public var logged: Double
        /// The standard error of the IPS estimate.
        public var ipsStandardError: Double
    }

    public static func estimate(
        log: [LoggedDecision], candidate: CandidatePolicy, catalog: GatewayCatalog = .standard
    ) -> Estimate {
        var ipsTerms: [Double] = []
        var drSum = 0.0
        var loggedSum = 0.0
        let router: Router? =
            if case .router(let settings) = candidate { Router(catalog: catalog, settings: settings) } else { nil }
        var sums: [String: MeanReward] = [:]
        for (index, entry) in log.enumerated() {
            guard let reward = entry.reward else { continue }
            let (probabilities, predicted) = targets(
                of: candidate, for: entry, id: "ope\(index)", router: router, meanRewards: sums)
            let weight = (probabilities[entry.chosen] ?? 0) / entry.propensity
            ipsTerms.append(weight * reward)
            var direct = 0.0
            for (name, probability) in probabilities { direct += probability * (predicted[name] ?? 0) }
            drSum += direct + weight * (reward - (predicted[entry.chosen] ?? 0))
            loggedSum += reward
            // Learn from the log after using it, so every estimate term depends only on the past.
            sums[entry.chosen, default: (0, 0)].total += reward
            sums[entry.chosen, default: (0, 0)].count += 1
            if let router {
                let authorized = entry.authorized ?? (reward > 0)
                router.feedback(
                    id: "ope\(index)",
                    outcome: RouteOutcome(
                        gateway: entry.chosen, authorized: authorized,
                        processorError: entry.processorError ?? !authorized))
            }
        }
        return summary(ipsTerms: ipsTerms, drSum: drSum, loggedSum: loggedSum)
    }

    /// A gateway's logged rewards so far.
    private typealias MeanReward = (total: Double, count: Double)

    /// The candidate's probability of taking each gateway for one logged decision, and its predicted reward of each.
    private static func targets(
        of candidate: CandidatePolicy, for entry: LoggedDecision, id: String, router: Router?,
        meanRewards sums: [String: MeanReward]
    ) -> (probabilities: [String: Double], predicted: [String: Double]) {
        var probabilities: [String: Double] = [:]
        switch candidate {
        case .fixed(let gateway):
            let action = entry.gateways.contains(gateway) ? gateway : entry.gateways[0]
            probabilities[action] = 1
        case .uniform:
            for name in entry.gateways { probabilities[name] = 1 / Double(entry.gateways.count) }
        case .router(let settings):
            guard let router else { return ([:], [:]) }
            return routerTargets(router, settings: settings, for: entry, id: id)
        }
        // A reward model for the fixed policies: each gateway's mean logged reward so far (IPS-free, crude, and only
        // used inside the DR correction, which stays unbiased whatever it is).
        var predicted: [String: Double] = [:]
        for name in entry.gateways {
            let stats = sums[name] ?? (0, 0)
            predicted[name] = stats.count > 0 ? stats.total / stats.count : 0
        }
        return (probabilities, predicted)
    }

    /// The router's ε-greedy probabilities and its own reward scores; none when it cannot decide.
    private static func routerTargets(
        _ router: Router, settings: RouterSettings, for entry: LoggedDecision, id: String
    ) -> (probabilities: [String: Double], predicted: [String: Double]) {
        guard let decision = try? router.decide(id: id, context: entry.context, candidates: entry.gateways) else {
            return ([:], [:])
        }
        var probabilities: [String: Double] = [:]
        let available = [decision.gateway] + decision.fallbacks
        for name in available {
            probabilities[name, default: 0] += settings.epsilon / Double(available.count)
        }
        // The ranking's first: the chosen one unless the router explored, then the best of the others.
        let greedy = decision.explored ? decision.fallbacks[0] : decision.gateway
        probabilities[greedy, default: 0] += 1 - settings.epsilon
        return (probabilities, decision.scores)
    }

    private static func summary(ipsTerms: [Double], drSum: Double, loggedSum: Double) -> Estimate {
        let n = Double(ipsTerms.count)
        guard n > 0 else { return Estimate(decisions: 0, ips: 0, doublyRobust: 0, logged: 0, ipsStandardError: 0) }
        let ips = ipsTerms.reduce(0, +) / n
        let variance = ipsTerms.reduce(0) { $0 + ($1 - ips) * ($1 - ips) } / max(n - 1, 1)
        return Estimate(
            decisions: ipsTerms.count, ips: ips, doublyRobust: drSum / n, logged: loggedSum / n,
            ipsStandardError: (variance / n).squareRoot())
    }
}
