import FunctionKit
import SmartPayCore
import SmartPayIO
import SmartPayRedis

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `route` binary's offline commands:
///
///     route log export --out LOG.jsonl        the decision log (`route:log` at REDIS_URL) joined with its outcomes
///     route ope --log LOG.jsonl --policy CONFIG.json    IPS and doubly-robust estimates of a candidate's value
public enum RouteTools {
    public static func runIfRequested(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) async {
        guard let command = arguments.first, command == "ope" || command == "log" else { return }
        do {
            if command == "ope" {
                try evaluate(Array(arguments.dropFirst()))
            } else {
                guard arguments.count >= 2, arguments[1] == "export" else {
                    throw CommandUsageError("usage: route log export --out LOG.jsonl (reads REDIS_URL)")
                }
                let options = try CommandOptions(Array(arguments.dropFirst(2)))
                try options.allow(["out"])
                let out = try options.required("out")
                guard let url = getenv("REDIS_URL").map({ String(cString: $0) }), !url.isEmpty else {
                    throw CommandUsageError("REDIS_URL is not set (the routing store's Redis)")
                }
                let log = try await export(redis: try RedisClient(url: url, maximumConnections: 1))
                let writer = try AtomicFileWriter(path: out)
                for entry in log { try writer.write(entry.json.serializedString + "\n") }
                try writer.commit()
                print(
                    "route log export: \(log.count) decisions, \(log.filter { $0.reward != nil }.count) with an outcome -> \(out)"
                )
            }
            exit(0)
        } catch let error as CommandUsageError {
            CommandOptions.printError("route \(command): \(error)")
            exit(2)
        } catch let error as FunctionError {
            CommandOptions.printError("route \(command): \(error.message)")
            exit(1)
        } catch {
            CommandOptions.printError("route \(command): \(error)")
            exit(1)
        }
    }

    static func evaluate(_ arguments: [String]) throws {
        let options = try CommandOptions(arguments)
        try options.allow(["log", "policy"])
        let logPath = try options.required("log")
        let policyPath = try options.required("policy")
        let policyJSON = try JSONParser().parse(try FileBytes.read(policyPath))
        let candidate = try CandidatePolicy(json: policyJSON)
        var log: [LoggedDecision] = []
        for (number, line) in try FileBytes.read(logPath).split(separator: 0x0A).enumerated() where !line.isEmpty {
            do {
                log.append(try LoggedDecision(json: try JSONParser().parse(line)))
            } catch {
                throw FunctionError(.validation, "\(logPath):\(number + 1): \(FunctionError(wrapping: error).message)")
            }
        }
        let estimate = OffPolicyEvaluation.estimate(log: log, candidate: candidate)
        func format(_ value: Double) -> String {
            let scaled = Int((value * 10_000).rounded())
            let sign = scaled < 0 ? "-" : ""
            let magnitude = abs(scaled)
            let fraction = String(magnitude % 10_000)
            return "\(sign)\(magnitude / 10_000).\(String(repeating: "0", count: 4 - fraction.count))\(fraction)"
        }
        print("decisions with an outcome: \(estimate.decisions)")
        print("logged policy's mean reward:     \(format(estimate.logged))")
        print("candidate, IPS:                  \(format(estimate.ips))  (± \(format(estimate.ipsStandardError)) s.e.)")
        print("candidate, doubly robust:        \(format(estimate.doublyRobust))")
    }

    /// The decision log joined with its outcomes, oldest first. The reward is what the router optimises:
    /// authorised × (1 − fee / amount) − the latency weight × seconds; a decision whose outcome came from another
    /// gateway (a failover) or never came has none.
    public static func export(
        redis: RedisClient, prefix: String = "route:", catalog: GatewayCatalog = .standard,
        settings: RouterSettings = RouterSettings()
    ) async throws -> [LoggedDecision] {
        var decisions: [LoggedDecision] = []
        var outcomes: [String: (gateway: String, authorized: Bool, processorError: Bool, latency: Double?)] = [:]
        var start = "-"
        while true {
            let reply = try await redis.send(["XRANGE", prefix + "log", start, "+", "COUNT", "10000"])
            let entries = reply.array ?? []
            for entry in entries {
                guard let parts = entry.array, parts.count == 2, let fields = parts[1].array else { continue }
                var values: [String: String] = [:]
                var position = 0
                while position + 1 < fields.count {
                    if let name = fields[position].string { values[name] = fields[position + 1].string }
                    position += 2
                }
                if let id = values["decision"], let contextText = values["context"], let gateway = values["gateway"],
                    let propensity = values["propensity"].flatMap(Double.init),
                    let context = try? RouteContext(json: try JSONParser().parse(contextText))
                {
                    let gateways = (values["gateways"] ?? gateway).split(separator: ",").map(String.init)
                    decisions.append(
                        LoggedDecision(
                            id: id, context: context, gateways: gateways, chosen: gateway, propensity: propensity,
                            reward: nil))
                } else if let id = values["outcome"], let gateway = values["gateway"] {
                    outcomes[id] = (
                        gateway, values["authorized"] == "1", values["processor_error"] == "1",
                        values["latency_ms"].flatMap(Double.init)
                    )
                }
            }
            guard entries.count == 10_000, let last = entries.last?.array?.first?.string else { break }
            start = "(" + last
        }
        for index in decisions.indices {
            guard let outcome = outcomes[decisions[index].id], outcome.gateway == decisions[index].chosen,
                let profile = catalog.profile(outcome.gateway)
            else { continue }
            let money = decisions[index].context.money
            let keep = 1 - Double(profile.fee(for: money)) / Double(money.minorUnits)
            let latencyCost = (outcome.latency ?? 0) / 1000 * settings.latencyWeightPerSecond
            decisions[index].reward = (outcome.authorized ? keep : 0) - latencyCost
            decisions[index].authorized = outcome.authorized
            decisions[index].processorError = outcome.processorError
        }
        return decisions
    }
}
