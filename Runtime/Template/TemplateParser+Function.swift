import SmartPayCore
import Yams

extension TemplateParser {
    /// An `AWS::Serverless::Function`: its `Properties` over the template's `Globals.Function`, its
    /// `Metadata.SmartPay` (binary, sandboxes, endpoints, local services and environment) and its `HttpApi` events.
    static func parseFunction(
        _ logicalID: String, _ resource: Node.Mapping, globals: Node.Mapping?, apis: [String: HTTPAPIAuth],
        context: Context
    ) throws(TemplateError) -> FunctionSpec {
        let properties = resource["Properties"]?.mapping
        func property(_ key: String) -> Node? { properties?[key] ?? globals?[key] }

        let name = try context.string(properties?["FunctionName"], in: logicalID) ?? logicalID
        let (metadata, binary) = try smartPayMetadata(resource, in: logicalID, context: context)
        let timeout = try context.integer(property("Timeout"), in: logicalID, key: "Timeout", range: 1...900) ?? 3
        let memory =
            try context.integer(property("MemorySize"), in: logicalID, key: "MemorySize", range: 128...10240) ?? 128
        let reserved = try context.integer(
            properties?["ReservedConcurrentExecutions"], in: logicalID, key: "ReservedConcurrentExecutions",
            range: 0...1000)

        let sandboxes = try names(metadata["Sandboxes"], "Metadata.SmartPay.Sandboxes", in: logicalID, context: context)
        let endpoints = try names(metadata["Endpoints"], "Metadata.SmartPay.Endpoints", in: logicalID, context: context)
        let uses = try names(metadata["Uses"], "Metadata.SmartPay.Uses", in: logicalID, context: context)
        if let unknown = uses.first(where: { $0 != "redis" }) {
            throw TemplateError(
                logicalID, "Metadata.SmartPay.Uses names no local service \"\(unknown)\" (there is: redis)")
        }
        let localEnvironment = try variables(
            metadata["LocalEnvironment"], "Metadata.SmartPay.LocalEnvironment", in: logicalID, context: context)
        var environment: [String: String] = [:]
        for source in [globals?["Environment"], properties?["Environment"]] {
            let variables = try variables(
                source?.mapping?["Variables"], "Environment.Variables", in: logicalID, context: context)
            environment.merge(variables) { _, function in function }
        }
        let routes = try parseHTTPRoutes(
            properties?["Events"], function: name, apis: apis, in: logicalID, context: context)
        return FunctionSpec(
            logicalID: logicalID, name: name, binary: binary, timeoutSeconds: timeout, memoryMB: memory,
            environment: environment, reservedConcurrency: reserved, httpRoutes: routes, sandboxes: sandboxes,
            awsEndpoints: endpoints, localEnvironment: localEnvironment, uses: uses)
    }

    /// `Metadata.SmartPay`, which must name the function's executable (`Binary`, a plain name).
    private static func smartPayMetadata(_ resource: Node.Mapping, in logicalID: String, context: Context)
        throws(TemplateError) -> (metadata: Node.Mapping, binary: String)
    {
        guard let metadata = resource["Metadata"]?.mapping?["SmartPay"]?.mapping,
            let binary = try context.string(metadata["Binary"], in: logicalID), !binary.isEmpty
        else {
            throw TemplateError(logicalID, "Metadata.SmartPay.Binary must name the function's executable")
        }
        guard binary.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw TemplateError(
                logicalID, "Metadata.SmartPay.Binary must be a plain executable name, got \"\(binary)\"")
        }
        return (metadata, binary)
    }

    /// A mapping of environment variables to their (resolved) text; none when the node is absent.
    private static func variables(_ node: Node?, _ place: String, in logicalID: String, context: Context)
        throws(TemplateError) -> [String: String]
    {
        guard let node else { return [:] }
        guard case .mapping(let pairs) = node else { throw TemplateError(logicalID, "\(place) must be a mapping") }
        var variables: [String: String] = [:]
        for (key, value) in pairs {
            guard let variable = key.string else { continue }
            variables[variable] = try context.string(value, in: logicalID) ?? ""
        }
        return variables
    }

    /// A list of plain names (`[stripe, solana]`): letters, digits and `_`, each once.
    private static func names(_ node: Node?, _ place: String, in logicalID: String, context: Context)
        throws(TemplateError) -> [String]
    {
        guard let node else { return [] }
        guard case .sequence(let items) = node else { throw TemplateError(logicalID, "\(place) must be a list") }
        var names: [String] = []
        for item in items {
            guard let name = try context.string(item, in: logicalID), !name.isEmpty,
                name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
            else {
                throw TemplateError(
                    logicalID,
                    "\(place) must list plain names, got \(item.string.map { "\"\($0)\"" } ?? "a non-text item")")
            }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// The function's `HttpApi` events as routes (other event types are read elsewhere or ignored).
    private static func parseHTTPRoutes(
        _ events: Node?, function: String, apis: [String: HTTPAPIAuth], in logicalID: String, context: Context
    ) throws(TemplateError) -> [HTTPRoute] {
        guard let events else { return [] }
        guard case .mapping(let eventMap) = events else { throw TemplateError(logicalID, "Events must be a mapping") }
        var routes: [HTTPRoute] = []
        for (eventKey, eventNode) in eventMap where eventNode.mapping?["Type"]?.string == "HttpApi" {
            let place = "event \(eventKey.string ?? "?"): "
            let eventProperties = eventNode.mapping?["Properties"]?.mapping
            guard let path = try context.string(eventProperties?["Path"], in: logicalID), path.hasPrefix("/") else {
                throw TemplateError(logicalID, "\(place)Path must start with /")
            }
            let method = try context.string(eventProperties?["Method"], in: logicalID) ?? "ANY"
            let allowed = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"]
            guard allowed.contains(method.uppercased()) else {
                throw TemplateError(logicalID, "\(place)Method \"\(method)\" is not an HTTP method")
            }
            let authorization = try routeAuthorization(
                eventProperties, apis: apis, in: logicalID, place: place, context: context)
            routes.append(HTTPRoute(method: method, path: path, function: function, authorization: authorization))
        }
        return routes
    }

    /// An `HttpApi` event's `Auth` (`Authorizer`, else its API's `DefaultAuthorizer`; `NONE` for none) and
    /// `AuthorizationScopes`.
    private static func routeAuthorization(
        _ eventProperties: Node.Mapping?, apis: [String: HTTPAPIAuth], in logicalID: String, place: String,
        context: Context
    ) throws(TemplateError) -> RouteAuthorization? {
        let apiID = try context.string(eventProperties?["ApiId"], in: logicalID)
        let api = apiID.flatMap { apis[$0] }
        let auth = eventProperties?["Auth"]?.mapping
        var authorizer = try context.string(auth?["Authorizer"], in: logicalID) ?? api?.defaultAuthorizer
        if authorizer == "NONE" { authorizer = nil }
        var scopes: [String] = []
        if let node = auth?["AuthorizationScopes"] {
            guard case .sequence(let items) = node else {
                throw TemplateError(logicalID, "\(place)Auth.AuthorizationScopes must be a list")
            }
            for item in items {
                if let scope = try context.string(item, in: logicalID) { scopes.append(scope) }
            }
        }
        guard let authorizer else {
            guard scopes.isEmpty else {
                throw TemplateError(logicalID, "\(place)AuthorizationScopes need an Authorizer")
            }
            return nil
        }
        guard api?.authorizers[authorizer] != nil else {
            throw TemplateError(
                logicalID,
                "\(place)Auth.Authorizer \(authorizer) is not an authorizer of "
                    + (apiID.map { "HttpApi \($0)" } ?? "the event's API (set ApiId)"))
        }
        return RouteAuthorization(authorizer: authorizer, scopes: scopes)
    }
}
