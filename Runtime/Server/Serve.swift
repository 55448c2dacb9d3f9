import Dispatch
import Foundation
import Hummingbird
import Logging
import SmartPayAuth
import SmartPayCore
import SmartPayIO
import SmartPayRedis
import SmartPayTemplate

/// Where `smartpay serve` listens once bound.
public struct ServedPorts: Sendable {
    public let api: Int
    public let aws: Int
    /// The WebSocket API's port; nil when the template declares none.
    public let webSocket: Int?
}

/// `smartpay serve`: the whole platform on one machine.
public struct ServeOptions: Sendable {
    public var templatePath: String
    public var host = "127.0.0.1"
    public var port = 3000
    public var awsPort = 4566
    public var redisURL: String?
    public var warm = false
    public var maximumConcurrency = 10
    public var queueLimit = 100
    public var stateDirectory = ".smartpay"
    public var binaryDirectory: URL
    public var bus = EventBusOptions()
    /// Identity and limits at the gateway.
    public var gateway = GatewayGuardOptions()
    /// The WebSocket API (when the template declares one).
    public var webSocket = WebSocketOptions()
    /// Start the payment gateways' local sandboxes when no credentials are configured.
    public var sandboxes = true
    /// Where their launchers are.
    public var sandboxDirectory = "infra/sandboxes"

    public init(templatePath: String, binaryDirectory: URL) {
        self.templatePath = templatePath
        self.binaryDirectory = binaryDirectory
    }
}

public enum Serve {
    /// Runs until SIGINT or SIGTERM, then shuts down in order: stop taking requests, let in-flight invocations
    /// finish (or time out), stop the function processes, stop the embedded Redis.
    public static func run(_ options: ServeOptions, logger: Logger, ready: (@Sendable (ServedPorts) -> Void)? = nil)
        async throws
    {
        let template = try TemplateLoader.load(options.templatePath)
        var options = options
        if options.awsPort == 0 {
            // Functions call siblings through this endpoint (AWS_ENDPOINT_URL_LAMBDA), which they are told before
            // it binds: pick the free port now rather than after.
            options.awsPort = try LoopbackPort.free()
        }
        var redis: EmbeddedRedis?
        let redisURL: String
        if let url = options.redisURL {
            redisURL = url
        } else {
            let started = try await EmbeddedRedis.start(
                directory: URL(fileURLWithPath: options.stateDirectory).appendingPathComponent("redis"))
            redis = started
            redisURL = started.url
        }
        // Only a template with the pay function needs payment gateways.
        let needsGateways = template.functions.values.contains { $0.binary == "pay" }
        let sandboxes = await GatewaySandboxes.start(
            .init(enabled: options.sandboxes && needsGateways, directory: options.sandboxDirectory),
            environment: ProcessInfo.processInfo.environment, logger: logger)
        let platform: Platform
        do {
            platform = try Platform(
                template: template, binaryDirectory: options.binaryDirectory,
                environment: sandboxes.environment.merging([
                    "REDIS_URL": redisURL, "AWS_ENDPOINT_URL_LAMBDA": "http://\(options.host):\(options.awsPort)",
                    // websocket-publish posts to connections through the management API, as an SDK would.
                    "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": "http://\(options.host):\(options.awsPort)",
                    // …and may send one message to many connections in one request (our endpoint's extension).
                    "WEBSOCKET_BATCH_POST": "on",
                ]) { $1 },
                maximumConcurrency: options.maximumConcurrency, queueLimit: options.queueLimit, logger: logger)
        } catch {
            await sandboxes.stop()
            await redis?.stop()
            throw error
        }
        if options.warm { try await platform.warm() }
        let bus = try EventBus(
            template: template, redisURL: redisURL, target: platform, options: options.bus, logger: logger)
        do {
            try await bus.prepare()
        } catch {
            await platform.shutdown()
            await sandboxes.stop()
            await redis?.stop()
            throw RuntimeError(
                "cannot set up the event bus in Redis (\(RedisConfiguration.redacted(redisURL))): \(error)")
        }

        let guardian: GatewayGuard
        do {
            guardian = try GatewayGuard(
                template: template, options: options.gateway,
                redis: try RedisClient(url: redisURL, maximumConnections: 16),
                development: try DevelopmentIdentity.load(stateDirectory: options.stateDirectory),
                apiKeySecret: try APIKeyStore.secret(
                    environment: ProcessInfo.processInfo.environment, stateDirectory: options.stateDirectory))
        } catch {
            await platform.shutdown()
            await sandboxes.stop()
            await redis?.stop()
            throw RuntimeError("cannot set up identity and limits at the gateway: \(error)")
        }
        let apiRouter = Router(context: GatewayRequestContext.self)
        HTTPAPIGateway(platform: platform, guardian: guardian, extraMetrics: { bus.render() }).addRoutes(to: apiRouter)
        let awsRouter = Router()
        LambdaEndpoint(platform: platform).addRoutes(to: awsRouter)
        EventsEndpoint(admin: BusAdmin(template: template, redis: bus.redis)).addRoutes(to: awsRouter)
        var quiet = logger
        quiet.logLevel = .warning
        let (bound, boundContinuation) = AsyncStream<(String, Int)>.makeStream()
        var webSocket: WebSocketGateway?
        if let spec = template.webSocketAPI {
            let gateway = WebSocketGateway(
                api: spec, platform: platform, guardian: guardian,
                redis: try RedisClient(url: redisURL, maximumConnections: 16), options: options.webSocket,
                logger: logger)
            ConnectionsEndpoint(gateway: gateway).addRoutes(to: awsRouter)
            webSocket = gateway
        }
        let webSocketApplication = webSocket?.application(
            host: options.host, onRunning: { boundContinuation.yield(("ws", $0)) }, logger: quiet)
        let api = Application(
            router: apiRouter,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "smartpay"),
            onServerRunning: { boundContinuation.yield(("api", $0.localAddress?.port ?? 0)) }, logger: quiet)
        let aws = Application(
            router: awsRouter,
            configuration: .init(address: .hostname(options.host, port: options.awsPort), serverName: "smartpay"),
            onServerRunning: { boundContinuation.yield(("aws", $0.localAddress?.port ?? 0)) }, logger: quiet)

        let signals = SignalWaiter()
        let failure: (any Error)? = await withTaskGroup(of: Void.self) { group -> (any Error)? in
            var runs: [(String, @Sendable () async throws -> Void)] = [
                ("api", { try await api.runService(gracefulShutdownSignals: []) }),
                ("aws", { try await aws.runService(gracefulShutdownSignals: []) }),
            ]
            if let webSocketApplication, let webSocket {
                runs.append(("ws", { try await webSocketApplication.runService(gracefulShutdownSignals: []) }))
                group.addTask { await webSocket.sweep() }
            }
            group.addTask { await bus.run() }
            for (name, run) in runs {
                group.addTask {
                    do {
                        try await run()
                    } catch {
                        logger.error(
                            "server failed", metadata: ["server": .string(name), "error": .string("\(error)")])
                        boundContinuation.yield(("failed:\(name):\(error)", 0))
                    }
                }
            }
            var ports: [String: Int] = [:]
            for await (name, port) in bound {
                if name.hasPrefix("failed:") {
                    group.cancelAll()
                    return RuntimeError(
                        "cannot serve: \(name.dropFirst(7)) (is the port in use? try --port / --aws-port / --ws-port)")
                }
                ports[name] = port
                if ports.count == runs.count { break }
            }
            let routes = template.httpRoutes.map { "\($0.routeKey) → \($0.function)" }.joined(separator: ", ")
            logger.info(
                "SmartPay is serving",
                metadata: [
                    "http_api": .string("http://\(options.host):\(ports["api"]!)"),
                    "aws_endpoint": .string("http://\(options.host):\(ports["aws"]!)"),
                    "redis": .string(redis == nil ? "external" : "embedded, \(options.stateDirectory)/redis"),
                    "routes": .string(routes),
                    "websocket_api": .string(ports["ws"].map { "ws://\(options.host):\($0)" } ?? "none"),
                ])
            let state = RuntimeState(
                redisURL: redisURL, httpAPI: "http://\(options.host):\(ports["api"]!)",
                awsEndpoint: "http://\(options.host):\(ports["aws"]!)", gateways: sandboxes.endpoints,
                webSocketAPI: ports["ws"].map { "ws://\(options.host):\($0)" })
            state.write(to: options.stateDirectory)
            ready?(ServedPorts(api: ports["api"]!, aws: ports["aws"]!, webSocket: ports["ws"]))
            let signal = await signals.wait()
            logger.info("shutting down", metadata: ["signal": .stringConvertible(signal)])
            group.cancelAll()
            return nil
        }
        RuntimeState.remove(from: options.stateDirectory)
        await platform.shutdown()
        await sandboxes.stop()
        await redis?.stop()
        if let failure { throw failure }
        logger.info("stopped")
    }
}

/// Turns SIGINT and SIGTERM into an awaitable event instead of killing the process.
final class SignalWaiter: @unchecked Sendable {
    // @unchecked: the sources are created once and only touched on their own queue.
    private var sources: [any DispatchSourceSignal] = []
    private let stream: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation

    init() {
        (stream, continuation) = AsyncStream<Int32>.makeStream()
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            let continuation = self.continuation
            source.setEventHandler { continuation.yield(signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    func wait() async -> Int32 {
        for await signal in stream { return signal }
        return SIGTERM
    }
}

/// Reads and parses the template file.
public enum TemplateLoader {
    public static func load(_ path: String) throws -> Template {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuntimeError("cannot read the template \(path)")
        }
        return try TemplateParser.parse(String(decoding: data, as: UTF8.self))
    }
}

/// Where a running `smartpay serve` is, in `{state directory}/serve.json`, so that `smartpay events` and
/// `smartpay dlq` find its Redis without being told.
public struct RuntimeState: Sendable {
    public let redisURL: String
    public let httpAPI: String
    public let awsEndpoint: String
    /// The gateways' endpoints the functions were given (`stripe`, `amazon_pay`, `solana`): a local sandbox's, or
    /// the one from the environment.
    public let gateways: [String: String]
    /// `ws://host:port` of the WebSocket API, when the template declares one.
    public let webSocketAPI: String?

    public init(
        redisURL: String, httpAPI: String, awsEndpoint: String, gateways: [String: String] = [:],
        webSocketAPI: String? = nil
    ) {
        self.redisURL = redisURL
        self.httpAPI = httpAPI
        self.awsEndpoint = awsEndpoint
        self.gateways = gateways
        self.webSocketAPI = webSocketAPI
    }

    static func path(in directory: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent("serve.json").path
    }

    func write(to directory: String) {
        let json = JSONValue.object([
            "redis_url": .string(redisURL), "http_api": .string(httpAPI), "aws_endpoint": .string(awsEndpoint),
            "pid": .number(String(getpid())), "gateways": .object(gateways.mapValues(JSONValue.string)),
            "websocket_api": webSocketAPI.map(JSONValue.string) ?? .null,
        ])
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: Self.path(in: directory), contents: Data(json.serialized()))
    }

    static func remove(from directory: String) { try? FileManager.default.removeItem(atPath: path(in: directory)) }

    /// The state a running runtime left in `directory`, nil when none runs there.
    public static func read(from directory: String) -> RuntimeState? {
        guard let data = FileManager.default.contents(atPath: path(in: directory)),
            let json = try? JSONParser().parse(Array(data)), let url = json["redis_url"]?.stringValue
        else { return nil }
        return RuntimeState(
            redisURL: url, httpAPI: json["http_api"]?.stringValue ?? "",
            awsEndpoint: json["aws_endpoint"]?.stringValue ?? "",
            gateways: json["gateways"]?.objectValue?.compactMapValues(\.stringValue) ?? [:],
            webSocketAPI: json["websocket_api"]?.stringValue)
    }
}
