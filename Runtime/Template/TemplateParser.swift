import Foundation
import SmartPayBus
import SmartPayContracts
import SmartPayCore
import Yams

/// Reads a SAM template with Yams, resolving the intrinsics it uses to wire names — `!Ref`, `!Sub`, `!GetAtt` and
/// their `Ref` / `Fn::Sub` / `Fn::GetAtt` long forms — against parameters' defaults, resources and pseudo
/// parameters (local account 000000000000, region us-east-1).
public enum TemplateParser {
    public static let account = LocalAWS.account
    public static let region = LocalAWS.region
    public static let stackName = "smartpay"

    /// Parses template text.
    /// - Throws: `TemplateError` naming the resource and what is wrong.
    public static func parse(_ text: String) throws(TemplateError) -> Template {
        let top = try topLevel(text)
        guard case .mapping(let resources)? = top["Resources"] else {
            throw TemplateError(nil, "no Resources section")
        }
        let context = Context(top: top, resources: resources)
        let globals = top["Globals"]?.mapping?["Function"]?.mapping
        let (apis, authorizers) = try parseHTTPAPIs(resources, context: context)
        let parsed = try parseResources(resources, globals: globals, apis: apis, context: context)
        try checkRoutesDeclaredOnce(parsed.functions)
        let webSocketAPI = try parseWebSocketAPI(resources: resources, functions: parsed.functions, context: context)
        if let webSocketAPI, let name = webSocketAPI.connectAuthorizer, authorizers[name] == nil {
            throw TemplateError(
                webSocketAPI.logicalID, "Metadata.SmartPay.Authorizer \(name) is not an HttpApi's JWT authorizer")
        }
        return Template(
            functions: parsed.functions, rules: parsed.rules, archives: parsed.archives, authorizers: authorizers,
            webSocketAPI: webSocketAPI)
    }

    /// The template's top-level mapping.
    private static func topLevel(_ text: String) throws(TemplateError) -> Node.Mapping {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw TemplateError(nil, "the template is empty") }
            root = node
        } catch let error as TemplateError {
            throw error
        } catch {
            throw TemplateError(nil, "not valid YAML: \(error)")
        }
        guard case .mapping(let top) = root else { throw TemplateError(nil, "expected a mapping at the top level") }
        return top
    }

    /// Every `AWS::Serverless::HttpApi`'s auth by logical id, and their JWT authorizers by name (an authorizer
    /// two APIs declare must be declared alike).
    private static func parseHTTPAPIs(_ resources: Node.Mapping, context: Context) throws(TemplateError) -> (
        apis: [String: HTTPAPIAuth], authorizers: [String: JWTAuthorizerSpec]
    ) {
        var apis: [String: HTTPAPIAuth] = [:]
        var authorizers: [String: JWTAuthorizerSpec] = [:]
        for (key, value) in resources where value.mapping?["Type"]?.string == "AWS::Serverless::HttpApi" {
            guard let logicalID = key.string, let resource = value.mapping else { continue }
            let auth = try parseHTTPAPIAuth(logicalID, resource, context: context)
            for authorizer in auth.authorizers.values {
                if let other = authorizers[authorizer.name], other != authorizer {
                    throw TemplateError(
                        logicalID, "authorizer \(authorizer.name) is declared differently by another HttpApi")
                }
                authorizers[authorizer.name] = authorizer
            }
            apis[logicalID] = auth
        }
        return (apis, authorizers)
    }

    /// The functions, rules and archives a template declares, each name once.
    private struct ParsedResources {
        var functions: [String: FunctionSpec] = [:]
        var rules: [String: EventRule] = [:]
        var archives: [String: EventArchive] = [:]

        mutating func add(_ function: FunctionSpec) throws(TemplateError) {
            if let clash = functions[function.name] {
                throw TemplateError(
                    function.logicalID, "FunctionName \"\(function.name)\" is also used by \(clash.logicalID)")
            }
            functions[function.name] = function
        }

        mutating func add(_ rule: EventRule, from logicalID: String) throws(TemplateError) {
            guard rules[rule.name] == nil else { throw TemplateError(logicalID, "rule \(rule.name) is declared twice") }
            rules[rule.name] = rule
        }
    }

    private static func parseResources(
        _ resources: Node.Mapping, globals: Node.Mapping?, apis: [String: HTTPAPIAuth], context: Context
    ) throws(TemplateError) -> ParsedResources {
        var parsed = ParsedResources()
        for (key, value) in resources {
            guard let logicalID = key.string else { continue }
            guard case .mapping(let resource) = value else {
                throw TemplateError(logicalID, "a resource must be a mapping")
            }
            guard let type = resource["Type"]?.string else { throw TemplateError(logicalID, "missing Type") }
            switch type {
            case "AWS::Serverless::Function":
                let function = try parseFunction(logicalID, resource, globals: globals, apis: apis, context: context)
                try parsed.add(function)
                for rule in try parseRules(logicalID, resource, function: function.name, context: context) {
                    try parsed.add(rule, from: logicalID)
                }
            case "AWS::Events::Rule":
                if let rule = try parseRuleResource(logicalID, resource, context: context) {
                    try parsed.add(rule, from: logicalID)
                }
            case "AWS::Events::Archive":
                let archive = try parseArchive(logicalID, resource, context: context)
                parsed.archives[archive.name] = archive
            default:
                continue
            }
        }
        return parsed
    }

    /// Two functions may not declare the same HTTP route key.
    private static func checkRoutesDeclaredOnce(_ functions: [String: FunctionSpec]) throws(TemplateError) {
        var routes: [String: String] = [:]
        for function in functions.values {
            for route in function.httpRoutes {
                if let other = routes[route.routeKey], other != function.logicalID {
                    throw TemplateError(function.logicalID, "route \(route.routeKey) is also declared by \(other)")
                }
                routes[route.routeKey] = function.logicalID
            }
        }
    }

    private static func parseRules(
        _ logicalID: String, _ resource: Node.Mapping, function: String, context: Context
    ) throws(TemplateError) -> [EventRule] {
        guard case .mapping(let events)? = resource["Properties"]?.mapping?["Events"] else { return [] }
        var rules: [EventRule] = []
        for (key, node) in events {
            let eventName = key.string ?? "?"
            guard node.mapping?["Type"]?.string == "EventBridgeRule" else { continue }
            let properties = node.mapping?["Properties"]?.mapping
            guard let patternNode = properties?["Pattern"] else {
                throw TemplateError(logicalID, "event \(eventName): an EventBridgeRule needs a Pattern")
            }
            let patternJSON = try context.json(patternNode, in: logicalID)
            let pattern = try eventPattern(patternJSON, in: logicalID, key: "event \(eventName): Pattern")
            let target = try parseTarget(
                properties, id: "\(logicalID)\(eventName)", function: function, logicalID: logicalID,
                where: "event \(eventName): ", samDLQ: "\(logicalID)\(eventName)DLQ", context: context)
            let name = try context.string(properties?["RuleName"], in: logicalID) ?? "\(logicalID)\(eventName)"
            let bus = try context.string(properties?["EventBusName"], in: logicalID) ?? "default"
            rules.append(
                EventRule(name: name, bus: bus, pattern: pattern, patternJSON: patternJSON, targets: [target]))
        }
        return rules.sorted { $0.name < $1.name }
    }

    /// A target's retry policy and dead-letter queue: `RetryPolicy` (EventBridge's defaults when unset) and
    /// `DeadLetterConfig` (`Arn`, or SAM's `Type: SQS`).
    private static func parseTarget(
        _ properties: Node.Mapping?, id: String, function: String, logicalID: String, where place: String,
        samDLQ: String?, context: Context
    ) throws(TemplateError) -> RuleTarget {
        let retry = properties?["RetryPolicy"]?.mapping
        let attempts =
            try context.integer(
                retry?["MaximumRetryAttempts"], in: logicalID, key: "\(place)RetryPolicy.MaximumRetryAttempts",
                range: 0...185) ?? 185
        let age =
            try context.integer(
                retry?["MaximumEventAgeInSeconds"], in: logicalID,
                key: "\(place)RetryPolicy.MaximumEventAgeInSeconds", range: 60...86400) ?? 86400
        var deadLetter: String?
        if let dlq = properties?["DeadLetterConfig"]?.mapping {
            if let arn = try context.string(dlq["Arn"], in: logicalID) {
                deadLetter = arn.split(separator: ":").last.map(String.init) ?? arn
            } else if dlq["Type"]?.string == "SQS", let samDLQ {
                deadLetter = samDLQ
            } else {
                throw TemplateError(
                    logicalID, "\(place)DeadLetterConfig needs an Arn\(samDLQ == nil ? "" : " or Type: SQS")")
            }
        }
        return RuleTarget(
            id: id, function: function, maximumRetryAttempts: attempts, maximumEventAgeSeconds: age,
            deadLetterQueue: deadLetter)
    }

    /// An event pattern; its refusal names `key` (`EventPattern`, `event E: Pattern`).
    private static func eventPattern(_ json: JSONValue, in logicalID: String, key: String) throws(TemplateError)
        -> EventPattern
    {
        do throws(EventPatternError) {
            return try EventPattern(json)
        } catch {
            throw TemplateError(logicalID, "\(key): \(error.description)")
        }
    }

    /// An `AWS::Events::Rule` resource: `EventPattern`, `Targets` (Lambda functions), `EventBusName`, `State`. A
    /// disabled rule is left out.
    private static func parseRuleResource(_ logicalID: String, _ resource: Node.Mapping, context: Context)
        throws(TemplateError) -> EventRule?
    {
        let properties = resource["Properties"]?.mapping
        if let state = try context.string(properties?["State"], in: logicalID), state != "ENABLED" {
            guard state == "DISABLED" else {
                throw TemplateError(logicalID, "State must be ENABLED or DISABLED, got \"\(state)\"")
            }
            return nil
        }
        if properties?["ScheduleExpression"] != nil {
            throw TemplateError(logicalID, "ScheduleExpression rules are not supported locally; use an EventPattern")
        }
        guard let patternNode = properties?["EventPattern"] else {
            throw TemplateError(logicalID, "a rule needs an EventPattern")
        }
        var patternJSON = try context.json(patternNode, in: logicalID)
        if case .string(let text) = patternJSON {
            // CloudFormation also takes the pattern as a JSON string.
            guard let parsed = try? JSONParser().parse(text) else {
                throw TemplateError(logicalID, "EventPattern: not valid JSON")
            }
            patternJSON = parsed
        }
        let pattern = try eventPattern(patternJSON, in: logicalID, key: "EventPattern")
        let targets = try parseRuleTargets(properties?["Targets"], in: logicalID, context: context)
        let name = try context.string(properties?["Name"], in: logicalID) ?? logicalID
        let bus = try context.string(properties?["EventBusName"], in: logicalID) ?? "default"
        return EventRule(
            name: name, bus: bus.split(separator: "/").last.map(String.init) ?? bus, pattern: pattern,
            patternJSON: patternJSON, targets: targets)
    }

    /// A rule resource's `Targets`: one to five Lambda functions, each with an `Arn` and an `Id` of its own.
    private static func parseRuleTargets(_ node: Node?, in logicalID: String, context: Context)
        throws(TemplateError) -> [RuleTarget]
    {
        guard case .sequence(let targetNodes)? = node, !targetNodes.isEmpty else {
            throw TemplateError(logicalID, "a rule needs Targets (one to five)")
        }
        guard targetNodes.count <= 5 else {
            throw TemplateError(logicalID, "a rule may have at most 5 targets, got \(targetNodes.count)")
        }
        var targets: [RuleTarget] = []
        for (index, node) in targetNodes.enumerated() {
            let place = "Targets[\(index)]: "
            guard let target = node.mapping else { throw TemplateError(logicalID, "\(place)must be a mapping") }
            guard let arn = try context.string(target["Arn"], in: logicalID) else {
                throw TemplateError(logicalID, "\(place)needs an Arn")
            }
            guard arn.hasPrefix("arn:aws:lambda:"), let function = arn.split(separator: ":").last else {
                throw TemplateError(logicalID, "\(place)only Lambda function targets run locally, got \(arn)")
            }
            guard let id = try context.string(target["Id"], in: logicalID), !id.isEmpty else {
                throw TemplateError(logicalID, "\(place)needs an Id")
            }
            if targets.contains(where: { $0.id == id }) {
                throw TemplateError(logicalID, "\(place)Id \(id) is used twice")
            }
            targets.append(
                try parseTarget(
                    target, id: id, function: String(function), logicalID: logicalID, where: place, samDLQ: nil,
                    context: context))
        }
        return targets
    }

    /// An `AWS::Events::Archive`: `SourceArn` (the bus), `RetentionDays`, `EventPattern`, `ArchiveName`.
    private static func parseArchive(_ logicalID: String, _ resource: Node.Mapping, context: Context)
        throws(TemplateError) -> EventArchive
    {
        let properties = resource["Properties"]?.mapping
        guard let source = try context.string(properties?["SourceArn"], in: logicalID) else {
            throw TemplateError(logicalID, "an archive needs a SourceArn (the event bus)")
        }
        guard let busPart = source.split(separator: "/").last, source.contains(":event-bus/") else {
            throw TemplateError(logicalID, "SourceArn must be an event bus ARN, got \(source)")
        }
        let retention =
            try context.integer(properties?["RetentionDays"], in: logicalID, key: "RetentionDays", range: 0...36500)
            ?? 0
        var pattern: EventPattern?
        if let node = properties?["EventPattern"] {
            pattern = try eventPattern(try context.json(node, in: logicalID), in: logicalID, key: "EventPattern")
        }
        let name = try context.string(properties?["ArchiveName"], in: logicalID) ?? logicalID
        return EventArchive(name: name, bus: String(busPart), retentionDays: retention, pattern: pattern)
    }

    /// An HTTP API's authorizers and default authorizer.
    struct HTTPAPIAuth {
        var authorizers: [String: JWTAuthorizerSpec] = [:]
        var defaultAuthorizer: String?
    }

    /// `Auth` of an `AWS::Serverless::HttpApi`: JWT authorizers only (`JwtConfiguration` with `issuer` and
    /// `audience`, `IdentitySource` a request header).
    private static func parseHTTPAPIAuth(_ logicalID: String, _ resource: Node.Mapping, context: Context)
        throws(TemplateError) -> HTTPAPIAuth
    {
        var result = HTTPAPIAuth()
        guard let auth = resource["Properties"]?.mapping?["Auth"]?.mapping else { return result }
        if let definitions = auth["Authorizers"] {
            guard case .mapping(let entries) = definitions else {
                throw TemplateError(logicalID, "Auth.Authorizers must be a mapping")
            }
            for (key, node) in entries {
                let name = key.string ?? "?"
                let place = "Auth.Authorizers.\(name)"
                guard let jwt = node.mapping?["JwtConfiguration"]?.mapping else {
                    throw TemplateError(
                        logicalID,
                        "\(place): only JWT authorizers (JwtConfiguration) are supported by the local runtime")
                }
                guard let issuer = try context.string(jwt["issuer"], in: logicalID), !issuer.isEmpty else {
                    throw TemplateError(logicalID, "\(place).JwtConfiguration needs an issuer")
                }
                var audiences: [String] = []
                switch jwt["audience"] {
                case .sequence(let items)?:
                    for item in items {
                        if let audience = try context.string(item, in: logicalID) { audiences.append(audience) }
                    }
                case let node?:
                    if let audience = try context.string(node, in: logicalID) { audiences.append(audience) }
                case nil: break
                }
                guard !audiences.isEmpty else {
                    throw TemplateError(logicalID, "\(place).JwtConfiguration needs at least one audience")
                }
                let source =
                    try context.string(node.mapping?["IdentitySource"], in: logicalID)
                    ?? "$request.header.Authorization"
                let headerPrefix = "$request.header."
                guard source.hasPrefix(headerPrefix), source.count > headerPrefix.count else {
                    throw TemplateError(
                        logicalID, "\(place).IdentitySource must be $request.header.NAME, got \"\(source)\"")
                }
                result.authorizers[name] = JWTAuthorizerSpec(
                    name: name, issuer: issuer, audiences: audiences,
                    header: String(source.dropFirst(headerPrefix.count)))
            }
        }
        if let name = try context.string(auth["DefaultAuthorizer"], in: logicalID) {
            guard result.authorizers[name] != nil else {
                throw TemplateError(logicalID, "Auth.DefaultAuthorizer \(name) is not one of its Authorizers")
            }
            result.defaultAuthorizer = name
        }
        return result
    }

    /// Resolves intrinsic functions to plain values.
    struct Context {
        let top: Node.Mapping
        let resources: Node.Mapping

        func string(_ node: Node?, in logicalID: String) throws(TemplateError) -> String? {
            guard let node else { return nil }
            switch node {
            case .scalar(let scalar):
                switch node.tag.rawValue {
                case "!Ref": return try ref(scalar.string, in: logicalID)
                case "!Sub": return try sub(scalar.string, in: logicalID)
                case "!GetAtt": return try getAtt(scalar.string, in: logicalID)
                default:
                    if node.tag.rawValue.hasPrefix("!") {
                        throw TemplateError(logicalID, "intrinsic \(node.tag.rawValue) is not supported locally")
                    }
                    return scalar.string
                }
            case .mapping(let mapping):
                if mapping.count == 1, let (key, value) = mapping.first.map({ ($0.key.string ?? "", $0.value) }) {
                    switch key {
                    case "Ref": return try ref(value.string ?? "", in: logicalID)
                    case "Fn::Sub": return try sub(value.string ?? "", in: logicalID)
                    case "Fn::GetAtt":
                        if case .sequence(let parts) = value {
                            return try getAtt(parts.compactMap(\.string).joined(separator: "."), in: logicalID)
                        }
                        return try getAtt(value.string ?? "", in: logicalID)
                    default: break
                    }
                }
                throw TemplateError(logicalID, "expected a string, got a mapping")
            case .sequence:
                if node.tag.rawValue == "!GetAtt", case .sequence(let parts) = node {
                    return try getAtt(parts.compactMap(\.string).joined(separator: "."), in: logicalID)
                }
                throw TemplateError(logicalID, "expected a string, got a list")
            case .alias:
                throw TemplateError(logicalID, "YAML aliases are not supported")
            }
        }

        /// A YAML node as JSON, with YAML's resolved scalar types (numbers, booleans, null) kept.
        func json(_ node: Node, in logicalID: String) throws(TemplateError) -> JSONValue {
            switch node {
            case .scalar(let scalar):
                switch node.tag.rawValue {
                case "tag:yaml.org,2002:int", "tag:yaml.org,2002:float":
                    return .number(scalar.string)
                case "tag:yaml.org,2002:bool":
                    return .bool(["true", "True", "TRUE", "yes", "Yes", "on", "On"].contains(scalar.string))
                case "tag:yaml.org,2002:null": return .null
                default: return .string(try string(node, in: logicalID) ?? scalar.string)
                }
            case .sequence(let items):
                var values: [JSONValue] = []
                for item in items { values.append(try json(item, in: logicalID)) }
                return .array(values)
            case .mapping(let pairs):
                var members: [String: JSONValue] = [:]
                for (key, value) in pairs {
                    guard let name = key.string else {
                        throw TemplateError(logicalID, "a mapping key must be a string")
                    }
                    members[name] = try json(value, in: logicalID)
                }
                return .object(members)
            case .alias:
                throw TemplateError(logicalID, "YAML aliases are not supported")
            }
        }

        func integer(_ node: Node?, in logicalID: String, key: String, range: ClosedRange<Int>) throws(TemplateError)
            -> Int?
        {
            guard let text = try string(node, in: logicalID) else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw TemplateError(
                    logicalID,
                    "\(key) must be an integer from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
            }
            return value
        }

        func ref(_ name: String, in logicalID: String) throws(TemplateError) -> String {
            switch name {
            case "AWS::Region": return TemplateParser.region
            case "AWS::AccountId": return TemplateParser.account
            case "AWS::StackName": return TemplateParser.stackName
            case "AWS::Partition": return "aws"
            case "AWS::URLSuffix": return "amazonaws.com"
            default: break
            }
            if let parameter = top["Parameters"]?.mapping?[name]?.mapping {
                guard let value = try string(parameter["Default"], in: name) else {
                    throw TemplateError(logicalID, "parameter \(name) has no Default to run with locally")
                }
                return value
            }
            if let resource = resources[name]?.mapping {
                let properties = resource["Properties"]?.mapping
                switch resource["Type"]?.string {
                case "AWS::Events::EventBus", "AWS::Events::Rule", "AWS::Events::Archive":
                    return try string(properties?["Name"] ?? properties?["ArchiveName"], in: name) ?? name
                case "AWS::SQS::Queue":
                    return "https://sqs.\(TemplateParser.region).amazonaws.com/\(TemplateParser.account)/"
                        + (try string(properties?["QueueName"], in: name) ?? name)
                default:
                    return try string(properties?["FunctionName"], in: name) ?? name
                }
            }
            throw TemplateError(logicalID, "!Ref \(name): no such parameter or resource")
        }

        func getAtt(_ path: String, in logicalID: String) throws(TemplateError) -> String {
            let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, let resource = resources[parts[0]]?.mapping else {
                throw TemplateError(logicalID, "!GetAtt \(path): no such resource")
            }
            let properties = resource["Properties"]?.mapping
            let prefix = "arn:aws:%@:\(TemplateParser.region):\(TemplateParser.account):"
            func arn(_ service: String) -> String { prefix.replacingOccurrences(of: "%@", with: service) }
            switch (resource["Type"]?.string, parts[1]) {
            case ("AWS::Serverless::Function", "Arn"), ("AWS::Lambda::Function", "Arn"):
                let name = try string(properties?["FunctionName"], in: parts[0]) ?? parts[0]
                return arn("lambda") + "function:\(name)"
            case ("AWS::SQS::Queue", "Arn"):
                return arn("sqs") + (try string(properties?["QueueName"], in: parts[0]) ?? parts[0])
            case ("AWS::Events::EventBus", "Arn"):
                return arn("events") + "event-bus/" + (try string(properties?["Name"], in: parts[0]) ?? parts[0])
            default:
                return "arn:aws:local:\(TemplateParser.region):\(TemplateParser.account):\(parts[0])/\(parts[1])"
            }
        }

        func sub(_ text: String, in logicalID: String) throws(TemplateError) -> String {
            var result = ""
            var rest = Substring(text)
            while let open = rest.range(of: "${") {
                result += rest[..<open.lowerBound]
                guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                    throw TemplateError(logicalID, "!Sub \"\(text)\": unclosed ${")
                }
                let name = String(rest[open.upperBound..<close])
                if name.hasPrefix("!") {
                    result += "${" + name.dropFirst() + "}"
                } else if name.contains("."), !name.hasPrefix("AWS::") {
                    result += try getAtt(name, in: logicalID)
                } else {
                    result += try ref(name, in: logicalID)
                }
                rest = rest[rest.index(after: close)...]
            }
            return result + rest
        }
    }
}

extension Node {
    fileprivate var mapping: Node.Mapping? {
        if case .mapping(let mapping) = self { return mapping }
        return nil
    }
}
