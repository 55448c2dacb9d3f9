import Hummingbird
import ServiceLifecycle

/// The AWS-compatible endpoint on `--aws-port`: the Lambda Invoke API, EventBridge's PutEvents and the WebSocket
/// API's `@connections` management API. Stopped after the APIs and the bus, so invocations in flight can still call
/// their siblings through it.
struct AWSEndpointService: Service {
    let wiring: ServeWiring

    func run() async throws {
        let router = Router()
        LambdaEndpoint(invoker: try await wiring.platform.value).addRoutes(to: router)
        let bus = try await wiring.bus.value
        EventsEndpoint(admin: BusAdmin(template: wiring.template, redis: bus.redis)).addRoutes(to: router)
        if let webSocket = try await wiring.webSocket.value {
            ConnectionsEndpoint(server: webSocket).addRoutes(to: router)
        }
        let options = wiring.options
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.awsPort), serverName: "smartpay"),
            onServerRunning: { [wiring] in wiring.awsPort.succeed($0.localAddress?.port ?? 0) },
            logger: wiring.quietLogger)
        try await runServer("aws", port: wiring.awsPort) { try await application.run() }
    }
}
