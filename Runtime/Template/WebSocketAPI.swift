import Foundation
import SmartPayCore
import Yams

/// An `AWS::ApiGatewayV2::Api` with `ProtocolType: WEBSOCKET`, with its routes (`AWS::ApiGatewayV2::Route`), their
/// Lambda proxy integrations (`AWS::ApiGatewayV2::Integration`), the routes that answer the client
/// (`AWS::ApiGatewayV2::RouteResponse`) and its stage (`AWS::ApiGatewayV2::Stage`).
public struct WebSocketAPISpec: Sendable {
    public let logicalID: String
    public let name: String
    /// The message field `RouteSelectionExpression` names (`$request.body.action` → `action`).
    public let selectionField: String
    public let stage: String
    /// The routes by route key (`$connect`, `$disconnect`, `$default`, `subscribe`, …).
    public let routes: [String: WebSocketRouteSpec]
    /// The JWT authorizer that checks the client's credential at `$connect` locally (`Metadata.SmartPay.Authorizer`,
    /// one of the HTTP API's authorizers); on AWS a Lambda REQUEST authorizer plays this part.
    public let connectAuthorizer: String?

    public init(
        logicalID: String, name: String, selectionField: String, stage: String, routes: [String: WebSocketRouteSpec],
        connectAuthorizer: String?
    ) {
        self.logicalID = logicalID
        self.name = name
        self.selectionField = selectionField
        self.stage = stage
        self.routes = routes
        self.connectAuthorizer = connectAuthorizer
    }
}

/// One WebSocket route: the function its integration invokes, and whether the function's `body` goes back to the
/// client (a route response is declared).
public struct WebSocketRouteSpec: Sendable, Hashable {
    public let routeKey: String
    public let function: String
    public let answers: Bool

    public init(routeKey: String, function: String, answers: Bool) {
        self.routeKey = routeKey
        self.function = function
        self.answers = answers
    }
}

extension TemplateParser {
    /// The template's WebSocket API, if it declares one (the local runtime serves one).
    static func parseWebSocketAPI(
        resources: Node.Mapping, functions: [String: FunctionSpec], context: Context
    ) throws(TemplateError) -> WebSocketAPISpec? {
        func of(_ type: String) -> [(String, Node.Mapping)] {
            resources.compactMap { key, value in
                guard let id = key.string, case .mapping(let resource) = value, resource["Type"]?.string == type
                else { return nil }
                return (id, resource)
            }.sorted { $0.0 < $1.0 }
        }
        func properties(_ resource: Node.Mapping) -> Node.Mapping? {
            if case .mapping(let properties)? = resource["Properties"] { return properties }
            return nil
        }
        var apis: [(String, Node.Mapping)] = []
        for (id, resource) in of("AWS::ApiGatewayV2::Api")
        where try context.string(properties(resource)?["ProtocolType"], in: id) == "WEBSOCKET" {
            apis.append((id, resource))
        }
        guard let (apiID, api) = apis.first else { return nil }
        guard apis.count == 1 else {
            throw TemplateError(apis[1].0, "the local runtime serves one WebSocket API; \(apiID) is the first")
        }
        let apiProperties = properties(api)
        let expression =
            try context.string(apiProperties?["RouteSelectionExpression"], in: apiID) ?? "$request.body.action"
        let prefix = "$request.body."
        guard expression.hasPrefix(prefix), expression.count > prefix.count,
            !expression.dropFirst(prefix.count).contains(".")
        else {
            throw TemplateError(
                apiID, "RouteSelectionExpression must be $request.body.FIELD locally, got \"\(expression)\"")
        }
        var authorizer: String?
        if case .mapping(let metadata)? = api["Metadata"], case .mapping(let smartPay)? = metadata["SmartPay"] {
            authorizer = try context.string(smartPay["Authorizer"], in: apiID)
        }

        func belongs(_ id: String, _ properties: Node.Mapping?) throws(TemplateError) -> Bool {
            try context.string(properties?["ApiId"], in: id) == apiID
        }
        var integrations: [String: String] = [:]
        for (id, resource) in of("AWS::ApiGatewayV2::Integration") {
            let properties = properties(resource)
            guard try belongs(id, properties) else { continue }
            guard try context.string(properties?["IntegrationType"], in: id) == "AWS_PROXY" else {
                throw TemplateError(id, "only AWS_PROXY (Lambda proxy) integrations are supported locally")
            }
            let uri = try context.string(properties?["IntegrationUri"], in: id) ?? ""
            guard let marker = uri.range(of: ":function:") else {
                throw TemplateError(id, "IntegrationUri must name a Lambda function's ARN, got \"\(uri)\"")
            }
            let name = String(uri[marker.upperBound...].prefix { $0 != "/" && $0 != ":" })
            guard functions[name] != nil else {
                throw TemplateError(id, "IntegrationUri names function \(name), which the template does not declare")
            }
            integrations[id] = name
        }
        var routes: [String: (routeKey: String, function: String)] = [:]
        for (id, resource) in of("AWS::ApiGatewayV2::Route") {
            let properties = properties(resource)
            guard try belongs(id, properties) else { continue }
            guard let key = try context.string(properties?["RouteKey"], in: id), !key.isEmpty else {
                throw TemplateError(id, "a Route needs a RouteKey")
            }
            let target = try context.string(properties?["Target"], in: id) ?? ""
            guard target.hasPrefix("integrations/"), let function = integrations[String(target.dropFirst(13))] else {
                throw TemplateError(id, "Target must be integrations/{an Integration of \(apiID)}, got \"\(target)\"")
            }
            if routes.values.contains(where: { $0.routeKey == key }) {
                throw TemplateError(id, "route \(key) is declared twice")
            }
            routes[id] = (key, function)
        }
        var answering: Set<String> = []
        for (id, resource) in of("AWS::ApiGatewayV2::RouteResponse") {
            let properties = properties(resource)
            guard try belongs(id, properties) else { continue }
            guard let route = try context.string(properties?["RouteId"], in: id), routes[route] != nil else {
                throw TemplateError(id, "RouteId must name a Route of \(apiID)")
            }
            answering.insert(route)
        }
        var stage = "$default"
        for (id, resource) in of("AWS::ApiGatewayV2::Stage") where try belongs(id, properties(resource)) {
            stage = try context.string(properties(resource)?["StageName"], in: id) ?? stage
        }
        var specs: [String: WebSocketRouteSpec] = [:]
        for (id, route) in routes {
            specs[route.routeKey] = WebSocketRouteSpec(
                routeKey: route.routeKey, function: route.function, answers: answering.contains(id))
        }
        return WebSocketAPISpec(
            logicalID: apiID, name: try context.string(apiProperties?["Name"], in: apiID) ?? apiID,
            selectionField: String(expression.dropFirst(prefix.count)), stage: stage, routes: specs,
            connectAuthorizer: authorizer)
    }
}
