import SmartPayBus
import SmartPayCore

/// The deployment template (`infra/template.yaml`, an AWS SAM template) as the local runtime reads it: the single
/// source of truth for which functions exist, how they are configured and which routes reach them.
public struct Template: Sendable {
    /// The functions, by name.
    public let functions: [String: FunctionSpec]
    /// The bus rules (`EventBridgeRule` events of functions and `AWS::Events::Rule` resources), by name.
    public let rules: [String: EventRule]
    /// The event archives, by name.
    public let archives: [String: EventArchive]
    /// The HTTP APIs' JWT authorizers, by name.
    public let authorizers: [String: JWTAuthorizerSpec]
    /// The WebSocket API, when the template declares one.
    public let webSocketAPI: WebSocketAPISpec?

    public init(
        functions: [String: FunctionSpec], rules: [String: EventRule] = [:], archives: [String: EventArchive] = [:],
        authorizers: [String: JWTAuthorizerSpec] = [:], webSocketAPI: WebSocketAPISpec? = nil
    ) {
        self.functions = functions
        self.rules = rules
        self.archives = archives
        self.authorizers = authorizers
        self.webSocketAPI = webSocketAPI
    }

    /// Every HTTP API route of every function.
    public var httpRoutes: [HTTPRoute] {
        functions.values.flatMap { function in function.httpRoutes }.sorted {
            ($0.path, $0.method) < ($1.path, $1.method)
        }
    }
}

/// One `AWS::Serverless::Function`.
public struct FunctionSpec: Sendable, Hashable {
    /// The resource's logical id in the template (`SplitFunction`).
    public let logicalID: String
    /// `FunctionName`, or the logical id when none is set: what invokers call it by.
    public let name: String
    /// The executable that implements it (`Metadata.SmartPay.Binary`): a product of this package.
    public let binary: String
    /// Seconds an invocation may run (Lambda's default is 3); `smartpay invoke --timeout` overrides it.
    public var timeoutSeconds: Int
    public let memoryMB: Int
    public let environment: [String: String]
    /// The most concurrent invocations (`ReservedConcurrentExecutions`); nil leaves it to the runtime's default.
    public let reservedConcurrency: Int?
    public let httpRoutes: [HTTPRoute]
    /// The payment gateways' local sandboxes it needs when no credentials are set (`Metadata.SmartPay.Sandboxes`:
    /// `stripe`, `amazon_pay`, `solana`); the local runtime starts those any function names.
    public let sandboxes: [String]
    /// The AWS services it calls (`Metadata.SmartPay.Endpoints`, service ids such as `apigatewaymanagementapi`):
    /// the local runtime points each at its AWS-compatible endpoint with `AWS_ENDPOINT_URL_{SERVICE}`, as SDKs read.
    public let awsEndpoints: [String]
    /// The local services it uses (`Metadata.SmartPay.Uses`: `redis`, given as `REDIS_URL`), which `smartpay invoke`
    /// starts for it when no `smartpay serve` runs.
    public let uses: [String]
    /// Settings the local runtime adds (`Metadata.SmartPay.LocalEnvironment`); `Environment.Variables` win.
    public let localEnvironment: [String: String]

    public init(
        logicalID: String, name: String, binary: String, timeoutSeconds: Int, memoryMB: Int,
        environment: [String: String], reservedConcurrency: Int?, httpRoutes: [HTTPRoute], sandboxes: [String] = [],
        awsEndpoints: [String] = [], localEnvironment: [String: String] = [:], uses: [String] = []
    ) {
        self.logicalID = logicalID
        self.name = name
        self.binary = binary
        self.timeoutSeconds = timeoutSeconds
        self.memoryMB = memoryMB
        self.environment = environment
        self.reservedConcurrency = reservedConcurrency
        self.httpRoutes = httpRoutes
        self.sandboxes = sandboxes
        self.awsEndpoints = awsEndpoints
        self.localEnvironment = localEnvironment
        self.uses = uses
    }

    /// The function's ARN in the local account and region.
    public var arn: String { "arn:aws:lambda:\(TemplateParser.region):\(TemplateParser.account):function:\(name)" }
}

/// A JWT authorizer of an `AWS::Serverless::HttpApi` (`Auth.Authorizers.NAME.JwtConfiguration`).
public struct JWTAuthorizerSpec: Sendable, Hashable {
    public let name: String
    public let issuer: String
    public let audiences: [String]
    /// The request header that carries the token (`$request.header.Authorization` → `authorization`).
    public let header: String

    public init(name: String, issuer: String, audiences: [String], header: String = "authorization") {
        self.name = name
        self.issuer = issuer
        self.audiences = audiences
        self.header = header.lowercased()
    }
}

/// How a route is protected: its authorizer and the scopes of which a token must carry at least one.
public struct RouteAuthorization: Sendable, Hashable {
    public let authorizer: String
    public let scopes: [String]

    public init(authorizer: String, scopes: [String]) {
        self.authorizer = authorizer
        self.scopes = scopes
    }
}

/// An `HttpApi` event: a method and a path with `{parameters}` (`ANY` matches every method).
public struct HTTPRoute: Sendable, Hashable {
    public let method: String
    public let path: String
    public let function: String
    /// Nil for an open route.
    public let authorization: RouteAuthorization?

    public init(method: String, path: String, function: String, authorization: RouteAuthorization? = nil) {
        self.method = method.uppercased()
        self.path = path
        self.function = function
        self.authorization = authorization
    }

    /// Whether the route creates or changes something (for the rate limiter's route classes).
    public var isWrite: Bool { !["GET", "HEAD", "OPTIONS"].contains(method) }

    /// API Gateway's route key: `POST /split`.
    public var routeKey: String { "\(method) \(path)" }

    /// The path parameters when `requestPath` matches this route's path; nil otherwise.
    public func match(method requestMethod: String, path requestPath: String) -> [String: String]? {
        guard method == "ANY" || method == requestMethod.uppercased() else { return nil }
        let pattern = path.split(separator: "/", omittingEmptySubsequences: true)
        let actual = requestPath.split(separator: "/", omittingEmptySubsequences: true)
        var parameters: [String: String] = [:]
        for (index, part) in pattern.enumerated() {
            if part.hasPrefix("{") && part.hasSuffix("+}") {
                // Greedy: the rest of the path.
                guard index < actual.count else { return nil }
                parameters[String(part.dropFirst().dropLast(2))] = actual[index...].joined(separator: "/")
                return parameters
            }
            guard index < actual.count else { return nil }
            if part.hasPrefix("{") && part.hasSuffix("}") {
                parameters[String(part.dropFirst().dropLast())] = String(actual[index])
            } else if part != actual[index] {
                return nil
            }
        }
        return pattern.count == actual.count ? parameters : nil
    }
}

/// A bus rule: an `EventBridgeRule` event of a function (one target, the function) or an `AWS::Events::Rule`
/// resource (up to five targets). Events on `bus` matching `pattern` are delivered to every target.
public struct EventRule: Sendable {
    /// `RuleName` / `Name`, or the function's logical id and the event's name (`RewardFunctionOnPayment`).
    public let name: String
    /// The event bus the rule listens on (`default` unless `EventBusName` says otherwise).
    public let bus: String
    public let pattern: EventPattern
    /// The pattern as written, for `smartpay events` and logs.
    public let patternJSON: JSONValue
    public let targets: [RuleTarget]

    public init(name: String, bus: String, pattern: EventPattern, patternJSON: JSONValue, targets: [RuleTarget]) {
        self.name = name
        self.bus = bus
        self.pattern = pattern
        self.patternJSON = patternJSON
        self.targets = targets
    }

    public var arn: String {
        let path = bus == "default" ? name : "\(bus)/\(name)"
        return "arn:aws:events:\(TemplateParser.region):\(TemplateParser.account):rule/\(path)"
    }
}

/// One target of a rule: a function, how often a failed delivery is retried, and where exhausted events go.
public struct RuleTarget: Sendable, Hashable {
    /// The target's `Id` within its rule.
    public let id: String
    /// The target function's name (the last part of its ARN). It may name no function of the template: then
    /// every delivery fails at once with `ResourceNotFoundException` and goes to the dead-letter queue.
    public let function: String
    public let arn: String
    /// 0–185; EventBridge's default is 185.
    public let maximumRetryAttempts: Int
    /// 60–86400 seconds; EventBridge's default is 24 hours.
    public let maximumEventAgeSeconds: Int
    /// Where exhausted events go: the dead-letter queue's name (its ARN's last part), nil for none.
    public let deadLetterQueue: String?

    public init(
        id: String, function: String, maximumRetryAttempts: Int = 185, maximumEventAgeSeconds: Int = 86400,
        deadLetterQueue: String? = nil
    ) {
        self.id = id
        self.function = function
        self.arn = "arn:aws:lambda:\(TemplateParser.region):\(TemplateParser.account):function:\(function)"
        self.maximumRetryAttempts = maximumRetryAttempts
        self.maximumEventAgeSeconds = maximumEventAgeSeconds
        self.deadLetterQueue = deadLetterQueue
    }
}

/// An `AWS::Events::Archive`: the events on `bus` (matching `pattern`, when given) kept for `retentionDays`
/// (0: forever), for `smartpay events replay`.
public struct EventArchive: Sendable {
    public let name: String
    public let bus: String
    public let retentionDays: Int
    public let pattern: EventPattern?

    public init(name: String, bus: String, retentionDays: Int, pattern: EventPattern?) {
        self.name = name
        self.bus = bus
        self.retentionDays = retentionDays
        self.pattern = pattern
    }
}

/// What is wrong with a template, and where: the resource's logical id when one is to blame.
public struct TemplateError: Error, Sendable, CustomStringConvertible, Equatable {
    public let logicalID: String?
    public let message: String

    public init(_ logicalID: String?, _ message: String) {
        self.logicalID = logicalID
        self.message = message
    }

    public var description: String {
        if let logicalID { return "template: \(logicalID): \(message)" }
        return "template: \(message)"
    }
}
