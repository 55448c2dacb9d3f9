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
            let platform = try Platform(
                template: wiring.template, binaryDirectory: options.binaryDirectory,
                environment: sandboxes.environment.merging([
                    "REDIS_URL": redisURL, "AWS_ENDPOINT_URL_LAMBDA": endpoint,
                    // websocket-publish posts to connections through the management API, as an SDK would.
                    "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": endpoint,
                    // …and may send one message to many connections in one request (our endpoint's extension).
                    "WEBSOCKET_BATCH_POST": "on",
                ]) { $1 },
                maximumConcurrency: options.maximumConcurrency, queueLimit: options.queueLimit,
                logger: wiring.logger)
            if options.warm { try await platform.warm() }
            return platform
        }
        await untilShutdown { await platform.shutdown() }
    }
}
