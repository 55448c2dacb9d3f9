import Foundation

/// The Amazon Pay sandbox (`infra/sandboxes/amazonpay_sandbox.py`) on 127.0.0.1 for one test: it generated the
/// merchant's key pair and wrote the private key to `privateKeyPath`; it verifies every signature with Python's
/// `cryptography`. Stopped after.
public final class LocalAmazonPay: Sendable {
    public let server: SandboxProcess
    public let privateKeyPath: String
    public static let publicKeyID = "SMARTPAY-TEST-KEY"

    public var baseURL: String { server.baseURL }
    public var privateKeyPEM: String { (try? String(contentsOfFile: privateKeyPath, encoding: .utf8)) ?? "" }

    /// - Parameter captureDelay: seconds a capture stays `CaptureInitiated`.
    public init(captureDelay: Double = 0) async throws {
        privateKeyPath =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("amazonpay-\(UUID().uuidString).pem").path
        server = try await SandboxProcess(
            "amazonpay", script: "amazonpay_sandbox.py",
            arguments: [
                "--public-key-id", Self.publicKeyID, "--private-key-out", privateKeyPath, "--capture-delay",
                String(captureDelay),
            ])
    }

    public func stop() {
        server.stop()
        try? FileManager.default.removeItem(atPath: privateKeyPath)
    }

    deinit { stop() }
}
