import Dispatch
import Foundation
import Hummingbird
import Logging
import SmartPayTemplate

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

    public init(templatePath: String, binaryDirectory: URL) {
        self.templatePath = templatePath
        self.binaryDirectory = binaryDirectory
    }
}

public enum Serve {
    /// Runs until SIGINT or SIGTERM, then shuts down in order: stop taking requests, let in-flight invocations
    /// finish (or time out), stop the function processes, stop the embedded Redis.
    public static func run(_ options: ServeOptions, logger: Logger, ready: (@Sendable (Int, Int) -> Void)? = nil)
        async throws
    {
        let template = try TemplateLoader.load(options.templatePath)
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
        let platform = try Platform(
            template: template, binaryDirectory: options.binaryDirectory,
            environment: [
                "REDIS_URL": redisURL, "AWS_ENDPOINT_URL_LAMBDA": "http://\(options.host):\(options.awsPort)",
            ],
            maximumConcurrency: options.maximumConcurrency, queueLimit: options.queueLimit, logger: logger)
        if options.warm { try await platform.warm() }

        let apiRouter = Router(context: GatewayRequestContext.self)
        HTTPAPIGateway(platform: platform).addRoutes(to: apiRouter)
        let awsRouter = Router()
        LambdaEndpoint(platform: platform).addRoutes(to: awsRouter)
        var quiet = logger
        quiet.logLevel = .warning
        let (bound, boundContinuation) = AsyncStream<(String, Int)>.makeStream()
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
            let runs: [(String, @Sendable () async throws -> Void)] = [
                ("api", { try await api.runService(gracefulShutdownSignals: []) }),
                ("aws", { try await aws.runService(gracefulShutdownSignals: []) }),
            ]
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
                        "cannot serve: \(name.dropFirst(7)) (is the port in use? try --port / --aws-port)")
                }
                ports[name] = port
                if ports.count == 2 { break }
            }
            let routes = template.httpRoutes.map { "\($0.routeKey) → \($0.function)" }.joined(separator: ", ")
            logger.info(
                "SmartPay is serving",
                metadata: [
                    "http_api": .string("http://\(options.host):\(ports["api"]!)"),
                    "aws_endpoint": .string("http://\(options.host):\(ports["aws"]!)"),
                    "redis": .string(redis == nil ? "external" : "embedded, \(options.stateDirectory)/redis"),
                    "routes": .string(routes),
                ])
            ready?(ports["api"]!, ports["aws"]!)
            let signal = await signals.wait()
            logger.info("shutting down", metadata: ["signal": .stringConvertible(signal)])
            group.cancelAll()
            return nil
        }
        await platform.shutdown()
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
