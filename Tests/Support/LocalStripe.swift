import Foundation
import SmartPayHTTP

/// localstripe (the Stripe sandbox) on 127.0.0.1 for one test, through `infra/sandboxes/localstripe_server.py`,
/// which binds loopback, keeps its store in memory and reports the port it bound. Stopped after.
public final class LocalStripe: Sendable {
    public let server: SandboxProcess
    public static let apiKey = "sk_test_smartpay"

    public var port: Int { server.port }
    public var baseURL: String { server.baseURL }

    private init(server: SandboxProcess) { self.server = server }

    public static func with<T>(_ body: (LocalStripe) async throws -> T) async throws -> T {
        let stripe = try await start()
        defer { stripe.stop() }
        return try await body(stripe)
    }

    /// Starts the sandbox on `port` (0: any free port).
    public static func start(port: Int = 0) async throws -> LocalStripe {
        LocalStripe(server: try await SandboxProcess("localstripe", script: "localstripe_server.py", port: port))
    }

    /// Starts it again on the same port (after `stop()`): a processor that comes back.
    public func restart() async throws { try await server.restart() }

    public func stop() { server.stop() }

    /// A GET on the sandbox's API, as JSON text.
    public func get(_ path: String) async throws -> HTTPClientResponse {
        try await HTTPClient().execute(
            HTTPClientRequest(url: baseURL + path, headers: [("Authorization", "Bearer \(Self.apiKey)")]))
    }
}
