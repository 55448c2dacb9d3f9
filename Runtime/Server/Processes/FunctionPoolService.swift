import ServiceLifecycle

/// The function processes: a warm pool per template function, given Redis, the gateways' settings and the AWS
/// endpoint; at shutdown, in-flight invocations finish (or time out) and every process stops.
struct FunctionPoolService: Service {
    let wiring: ServeWiring

    func run() async throws {
        let options = wiring.options
        let platform = try await wiring.platform.produce { [wiring] in
            let redisURL = try await wiring.redisURL.value
            let sandboxes = try await wiring.sandboxes.value
            let endpoint = wiring.url(port: options.awsPort)
            let logs = options.functionLogsInFiles ? FunctionLogs(stateDirectory: options.stateDirectory) : nil
            logs?.clear()
            let platform = try Platform(
                template: wiring.template, binaryDirectory: options.binaryDirectory,
                environment: sandboxes.environment.merging([
                    "REDIS_URL": redisURL, "AWS_ENDPOINT_URL_LAMBDA": endpoint,
                ]) { $1 },
                maximumConcurrency: options.maximumConcurrency, awsEndpoint: endpoint, queueLimit: options.queueLimit,
                logs: logs,
                logger: wiring.logger)
            if options.warm { try await platform.warm() }
            return platform
        }
        await untilShutdown { await platform.shutdown() }
    }
}
