import Foundation
import Logging
import SmartPayCore
import SmartPayTemplate

/// The running platform: a pool of warm processes per template function, the invoke path every entry point uses
/// (HTTP API, Lambda endpoint, `smartpay invoke`), one JSON log line and metrics per invocation.
public final class Platform: FunctionInvoker {
    public let template: Template
    public let pools: [String: FunctionPool]
    /// The template's HTTP routes, computed once.
    let routes: [HTTPRoute]
    let metrics = RuntimeMetrics()
    private let logger: Logger
    /// Retries of a failed asynchronous (`Event`) invocation, and the first delay (doubling), as Lambda does.
    let asyncRetries: Int
    let asyncRetryDelay: Duration

    /// - Parameters:
    ///   - binaryDirectory: where the functions' executables are (the folder `smartpay` itself was built into).
    ///   - environment: added to every function's environment (REDIS_URL, AWS_ENDPOINT_URL_LAMBDA, …); over it each
    ///     function's `LocalEnvironment` and `Endpoints`, and over those its `Environment.Variables`.
    ///   - awsEndpoint: the AWS-compatible endpoint the AWS services a function declares (`Endpoints`) point at.
    ///   - functionEnvironment: by function name, over everything else (`smartpay invoke --env-vars`).
    ///   - logs: where the processes write their output (nil: this process's stderr).
    ///   - maximumConcurrency: per function, unless the template reserves its own.
    /// - Throws: `RuntimeError` when a function's executable is missing.
    public init(
        template: Template, binaryDirectory: URL, environment: [String: String], maximumConcurrency: Int = 10,
        awsEndpoint: String? = nil, functionEnvironment: [String: [String: String]] = [:], queueLimit: Int = 100,
        timeoutOverride: Int? = nil, logs: FunctionLogs? = nil, asyncRetries: Int = 2,
        asyncRetryDelay: Duration = .seconds(1),
        logger: Logger
    ) throws {
        self.template = template
        self.routes = template.httpRoutes
        self.logger = logger
        self.asyncRetries = asyncRetries
        self.asyncRetryDelay = asyncRetryDelay
        var pools: [String: FunctionPool] = [:]
        let inherited = ProcessInfo.processInfo.environment.filter { key, _ in
            ["PATH", "HOME", "LANG", "TZ", "LOG_LEVEL", "TMPDIR"].contains(key)
        }
        for function in template.functions.values {
            let binary = binaryDirectory.appendingPathComponent(function.binary).path
            guard FileManager.default.isExecutableFile(atPath: binary) else {
                throw RuntimeError(
                    "\(function.logicalID): executable \(function.binary) not found in \(binaryDirectory.path) (run `swift build`)"
                )
            }
            var spec = function
            if let timeoutOverride { spec.timeoutSeconds = timeoutOverride }
            var declared = spec.localEnvironment
            if let awsEndpoint {
                for service in spec.awsEndpoints { declared["AWS_ENDPOINT_URL_\(service.uppercased())"] = awsEndpoint }
            }
            let env = inherited.merging(environment) { $1 }.merging(declared) { $1 }.merging(spec.environment) { $1 }
                .merging(functionEnvironment[spec.name] ?? [:]) { $1 }
            pools[spec.name] = FunctionPool(
                spec: spec, binary: binary, environment: env,
                maximumConcurrency: spec.reservedConcurrency.map { min($0, maximumConcurrency) } ?? maximumConcurrency,
                queueLimit: queueLimit, logs: logs, logger: logger)
        }
        self.pools = pools
    }

    /// The function a caller means: its name, its ARN, or RIE's `function` when the template has one function.
    public func resolve(functionName requested: String) -> String? {
        var name = requested
        if name.hasPrefix("arn:"), let last = name.split(separator: ":").last { name = String(last) }
        if pools[name] != nil { return name }
        if name == "function", pools.count == 1 { return pools.keys.first }
        return nil
    }

    public func capacity(of function: String) -> Int? { pools[function]?.maximumConcurrency }

    /// Invokes a function synchronously.
    public func invoke(function: String, payload: [UInt8], traceID: String? = nil) async throws(FunctionPool.Refusal)
        -> InvocationRecord
    {
        guard let pool = pools[function] else { throw .tooManyRequests("no function \(function)") }
        let record: InvocationRecord
        do {
            record = try await pool.invoke(payload: payload, traceID: traceID)
        } catch {
            metrics.throttled(function)
            throw error
        }
        metrics.record(record)
        log(record)
        return record
    }

    /// Invokes a function in the background (`Event`), retrying a failed invocation with doubling delays.
    public func invokeAsynchronously(function: String, payload: [UInt8]) {
        Task {
            var delay = asyncRetryDelay
            for attempt in 0...asyncRetries {
                if let record = try? await invoke(function: function, payload: payload), record.outcome.isSuccess {
                    return
                }
                if attempt < asyncRetries {
                    try? await Task.sleep(for: delay)
                    delay *= 2
                }
            }
            logger.error(
                "asynchronous invocation failed after retries",
                metadata: ["function": .string(function), "attempts": .stringConvertible(asyncRetries + 1)])
        }
    }

    /// Starts every function's processes now.
    public func warm() async throws {
        for pool in pools.values { try await pool.warm(1) }
    }

    /// Stops every process after in-flight invocations end (or their grace passes).
    public func shutdown() async {
        await withTaskGroup(of: Void.self) { group in
            for pool in pools.values { group.addTask { await pool.shutdown() } }
        }
    }

    private func log(_ record: InvocationRecord) {
        let outcome: String
        switch record.outcome {
        case .response: outcome = "success"
        case .functionError(let type, _): outcome = "error:\(type)"
        case .timeout: outcome = "timeout"
        case .exited: outcome = "crash"
        case .initError(let type, _): outcome = "init_error:\(type)"
        }
        logger.info(
            "invocation",
            metadata: [
                "request_id": .string(record.requestID), "function": .string(record.function),
                "duration_ms": .string(InvocationRecord.format(InvocationRecord.milliseconds(record.duration))),
                "cold_start": .stringConvertible(record.initDuration != nil), "outcome": .string(outcome),
            ])
    }
}
