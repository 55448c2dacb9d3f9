import Foundation
import Hummingbird
import Logging
import SmartPayIO
import SmartPayTemplate

/// `smartpay invoke`: one invocation of a function's real binary with what it needs around it, as `sam local invoke`
/// gives it the template's environment. When a `smartpay serve` runs (its `serve.json` in the state directory) the
/// function gets that platform's Redis, AWS endpoint and sandboxes. Otherwise what it declares is started for the
/// call and stopped after: the embedded Redis (`Uses: [redis]`), the payment-gateway sandboxes (`Sandboxes`), and
/// for a function that calls its siblings (`Endpoints: [lambda]`) a Lambda endpoint on loopback with the siblings
/// behind it (and what they declare).
public struct LocalInvocation: Sendable {
    public var template: Template
    public var binaryDirectory: URL
    public var stateDirectory = ".smartpay"
    public var sandboxDirectory = "infra/sandboxes"
    public var timeoutOverride: Int?
    /// By function name, over the template's (`--env-vars`).
    public var functionEnvironment: [String: [String: String]] = [:]
    /// The environment `REDIS_URL` and `AWS_ENDPOINT_URL_LAMBDA` and the gateways' credentials are read from.
    public var environment = ProcessInfo.processInfo.environment
    public var logger: Logger

    public init(template: Template, binaryDirectory: URL, logger: Logger) {
        self.template = template
        self.binaryDirectory = binaryDirectory
        self.logger = logger
    }

    /// Runs `function` once with `payload` and stops everything it started.
    /// - Returns: the invocation's record, with the process's peak memory.
    /// - Throws: `RuntimeError` when something it needs cannot start, `FunctionPool.Refusal` when it cannot run.
    public func run(function: FunctionSpec, payload: [UInt8]) async throws -> InvocationRecord {
        var stops: [@Sendable () async -> Void] = []
        do {
            let record = try await run(function: function, payload: payload, stops: &stops)
            for stop in stops.reversed() { await stop() }
            return record
        } catch {
            for stop in stops.reversed() { await stop() }
            throw error
        }
    }

    private func run(function: FunctionSpec, payload: [UInt8], stops: inout [@Sendable () async -> Void])
        async throws -> InvocationRecord
    {
        let callsSiblings = function.awsEndpoints.contains("lambda")
        let involved = callsSiblings ? Array(template.functions.values) : [function]
        var shared = environment.filter { $0.key == "REDIS_URL" || $0.key == "AWS_ENDPOINT_URL_LAMBDA" }
        var awsEndpoint = shared["AWS_ENDPOINT_URL_LAMBDA"]
        var endpointPort: Int?
        let passedThrough = await PaymentGatewaySandboxes.start(
            .init(enabled: false), environment: environment, logger: logger
        ).environment
        if let serve = RuntimeState.read(from: stateDirectory), serve.isRunning {
            logger.info("using the running smartpay serve", metadata: ["redis": .string(serve.redisURL)])
            shared = serve.sandboxSettings.merging(passedThrough) { $1 }.merging(shared) { $1 }
            shared["REDIS_URL"] = shared["REDIS_URL"] ?? serve.redisURL
            shared["AWS_ENDPOINT_URL_LAMBDA"] = shared["AWS_ENDPOINT_URL_LAMBDA"] ?? serve.awsEndpoint
            awsEndpoint = shared["AWS_ENDPOINT_URL_LAMBDA"]
        } else {
            if shared["REDIS_URL"] == nil, involved.contains(where: { $0.uses.contains("redis") }) {
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "smartpay-invoke-\(UUID().uuidString)")
                let redis = try await EmbeddedRedis.start(directory: directory)
                stops.append {
                    await redis.stop()
                    try? FileManager.default.removeItem(at: directory)
                }
                shared["REDIS_URL"] = redis.url
            }
            let sandboxes = await PaymentGatewaySandboxes.start(
                .init(wanted: Set(involved.flatMap(\.sandboxes)), directory: sandboxDirectory),
                environment: environment, logger: logger)
            stops.append { await sandboxes.stop() }
            shared.merge(sandboxes.environment) { $1 }
            if callsSiblings, awsEndpoint == nil {
                let port = try LoopbackPort.free()
                endpointPort = port
                awsEndpoint = "http://127.0.0.1:\(port)"
                shared["AWS_ENDPOINT_URL_LAMBDA"] = awsEndpoint
            }
        }
        let platform = try Platform(
            template: template, binaryDirectory: binaryDirectory, environment: shared, maximumConcurrency: 1,
            awsEndpoint: awsEndpoint, functionEnvironment: functionEnvironment, timeoutOverride: timeoutOverride,
            logger: logger)
        stops.append { await platform.shutdown() }
        if let endpointPort { try await serveLambdaEndpoint(platform, port: endpointPort, stops: &stops) }
        guard let pool = platform.pools[function.name] else {
            throw RuntimeError("no function \(function.name) in the template")
        }
        let record = try await pool.invoke(payload: payload)
        return record.withMaxMemoryUsed(kilobytes: await pool.stopAll().max())
    }

    /// The Lambda Invoke API for the siblings, on loopback until the call ends.
    private func serveLambdaEndpoint(_ platform: Platform, port: Int, stops: inout [@Sendable () async -> Void])
        async throws
    {
        let router = Router()
        LambdaEndpoint(invoker: platform).addRoutes(to: router)
        var quiet = logger
        quiet.logLevel = .warning
        let bound = Handoff<Int>()
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "smartpay"),
            onServerRunning: { bound.succeed($0.localAddress?.port ?? port) }, logger: quiet)
        let server = Task {
            do {
                try await application.runService(gracefulShutdownSignals: [])
            } catch {
                bound.fail(serverFailure("aws", error))
            }
        }
        stops.append {
            server.cancel()
            await server.value
        }
        _ = try await bound.value
    }
}
