import Foundation
import SmartPayHTTP

/// localstripe (the Stripe sandbox) on 127.0.0.1 for one test, through `infra/sandboxes/localstripe_server.py`,
/// which binds loopback, keeps its store in memory and reports the port it bound. Stopped after.
public final class LocalStripe: @unchecked Sendable {
    // @unchecked: owned by one test.
    public private(set) var port: Int
    private var process: ChildProcess?
    public static let apiKey = "sk_test_smartpay"

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int) { self.port = port }

    public static func with<T>(_ body: (LocalStripe) async throws -> T) async throws -> T {
        let server = try await start()
        defer { server.stop() }
        return try await body(server)
    }

    /// Starts the sandbox on `port` (0: any free port).
    public static func start(port: Int = 0) async throws -> LocalStripe {
        let server = LocalStripe(port: port)
        try await server.launch()
        return server
    }

    /// Starts it again on the same port (after `stop()`): a processor that comes back.
    public func restart() async throws { try await launch() }

    public func stop() {
        process?.stop()
        process = nil
    }

    deinit { stop() }

    private func launch() async throws {
        let root = Executables.repositoryRoot
        let python = root.appendingPathComponent(".venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw TestSupportError("no .venv/bin/python: run infra/scripts/setup.sh first")
        }
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("localstripe-\(UUID().uuidString)")
        let process = try ChildProcess(
            python,
            arguments: [
                root.appendingPathComponent("infra/sandboxes/localstripe_server.py").path, "--port", String(port),
                "--port-file", portFile.path,
            ])
        self.process = process
        for _ in 0..<400 {
            if !process.isRunning {
                throw TestSupportError(
                    "localstripe exited at start: \(String(decoding: process.stderr, as: UTF8.self).suffix(500))")
            }
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let bound = Int(text) {
                port = bound
                try? FileManager.default.removeItem(at: portFile)
                return
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestSupportError("localstripe did not start within 10 s")
    }

    /// A GET on the sandbox's API, as JSON text.
    public func get(_ path: String) async throws -> HTTPClientResponse {
        try await HTTPClient().execute(
            HTTPClientRequest(url: baseURL + path, headers: [("Authorization", "Bearer \(Self.apiKey)")]))
    }
}
