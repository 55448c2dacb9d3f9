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
        let reader = WebSocketAPIReader(resources: resources, context: context)
        guard let (apiID, api) = try reader.api() else { return nil }
        let apiProperties = WebSocketAPIReader.properties(api)
        let selectionField = try reader.selectionField(apiProperties, in: apiID)
        var authorizer: String?
        if case .mapping(let metadata)? = api["Metadata"], case .mapping(let smartPay)? = metadata["SmartPay"] {
            authorizer = try context.string(smartPay["Authorizer"], in: apiID)
        }
        let integrations = try reader.integrations(of: apiID, functions: functions)
        let routes = try reader.routes(of: apiID, integrations: integrations)
        let answering = try reader.answeringRoutes(of: apiID, routes: routes)
        let stage = try reader.stage(of: apiID)
        var specs: [String: WebSocketRouteSpec] = [:]
        for (id, route) in routes {
            specs[route.routeKey] = WebSocketRouteSpec(
                routeKey: route.routeKey, function: route.function, answers: answering.contains(id))
        }
        return WebSocketAPISpec(
            logicalID: apiID, name: try context.string(apiProperties?["Name"], in: apiID) ?? apiID,
            selectionField: selectionField, stage: stage, routes: specs,
            connectAuthorizer: authorizer)
    }
}

/// Reads the `AWS::ApiGatewayV2::*` resources of a template that make up its WebSocket API.
private struct WebSocketAPIReader {
    let resources: Node.Mapping
    let context: TemplateParser.Context

    /// The resources of one type, by logical id.
    func resources(of type: String) -> [(String, Node.Mapping)] {
        resources.compactMap { key, value in
            guard let id = key.string, case .mapping(let resource) = value, resource["Type"]?.string == type
            else { return nil }
            return (id, resource)
        }.sorted { $0.0 < $1.0 }
    }

    static func properties(_ resource: Node.Mapping) -> Node.Mapping? {
        if case .mapping(let properties)? = resource["Properties"] { return properties }
        return nil
    }

    /// Runs `body` on each resource of `type` whose `ApiId` is the API, with its properties, in logical id order.
    func forEachPart(
        _ type: String, of apiID: String, _ body: (String, Node.Mapping?) throws(TemplateError) -> Void
    ) throws(TemplateError) {
        for (id, resource) in resources(of: type) {
            let properties = Self.properties(resource)
            if try context.string(properties?["ApiId"], in: id) == apiID { try body(id, properties) }
        }
    }

    /// The one `AWS::ApiGatewayV2::Api` with `ProtocolType: WEBSOCKET`, if there is one.
    func api() throws(TemplateError) -> (String, Node.Mapping)? {
        var apis: [(String, Node.Mapping)] = []
        for (id, resource) in resources(of: "AWS::ApiGatewayV2::Api")
        where try context.string(Self.properties(resource)?["ProtocolType"], in: id) == "WEBSOCKET" {
            apis.append((id, resource))
        }
        guard let first = apis.first else { return nil }
        guard apis.count == 1 else {
            throw TemplateError(apis[1].0, "the local runtime serves one WebSocket API; \(first.0) is the first")
        }
        return first
    }

    /// The message field the `RouteSelectionExpression` (`$request.body.FIELD`) names.
    func selectionField(_ apiProperties: Node.Mapping?, in apiID: String) throws(TemplateError) -> String {
        let expression =
            try context.string(apiProperties?["RouteSelectionExpression"], in: apiID) ?? "$request.body.action"
        let prefix = "$request.body."
        guard expression.hasPrefix(prefix), expression.count > prefix.count,
            !expression.dropFirst(prefix.count).contains(".")
        else {
            throw TemplateError(
                apiID, "RouteSelectionExpression must be $request.body.FIELD locally, got \"\(expression)\"")
        }
        return String(expression.dropFirst(prefix.count))
    }

    /// The function each Lambda proxy integration invokes, by the integration's logical id.
    func integrations(of apiID: String, functions: [String: FunctionSpec]) throws(TemplateError) -> [String: String] {
        var integrations: [String: String] = [:]
        try forEachPart("AWS::ApiGatewayV2::Integration", of: apiID) { id, properties throws(TemplateError) in
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
        return integrations
    }

    /// Each route's key and function, by the route's logical id.
    func routes(of apiID: String, integrations: [String: String]) throws(TemplateError) -> [String: (
        routeKey: String, function: String
    )] {
        var routes: [String: (routeKey: String, function: String)] = [:]
        try forEachPart("AWS::ApiGatewayV2::Route", of: apiID) { id, properties throws(TemplateError) in
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
        return routes
    }

    /// The logical ids of the routes a `RouteResponse` answers the client on.
    func answeringRoutes(of apiID: String, routes: [String: (routeKey: String, function: String)])
        throws(TemplateError) -> Set<String>
    {
        var answering: Set<String> = []
        try forEachPart("AWS::ApiGatewayV2::RouteResponse", of: apiID) { id, properties throws(TemplateError) in
            guard let route = try context.string(properties?["RouteId"], in: id), routes[route] != nil else {
                throw TemplateError(id, "RouteId must name a Route of \(apiID)")
            }
            answering.insert(route)
        }
        return answering
    }

    /// The API's stage name (`$default` when no stage names one).
    func stage(of apiID: String) throws(TemplateError) -> String {
        var stage = "$default"
        try forEachPart("AWS::ApiGatewayV2::Stage", of: apiID) { id, properties throws(TemplateError) in
            stage = try context.string(properties?["StageName"], in: id) ?? stage
        }
        return stage
    }
}
