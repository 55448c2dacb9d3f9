import Foundation
import Logging
import SmartPayIO

/// The payment gateways' local sandboxes, for `smartpay serve` without gateway credentials: started on 127.0.0.1
/// with the runtime, stopped with it, and handed to the functions as their gateway endpoints.
///
/// - Stripe: localstripe (`infra/sandboxes/localstripe_server.py`, installed by `make setup`), unless
///   `STRIPE_API_KEY` is set, in which case the key and `STRIPE_API_BASE` pass through to the functions.
/// - Amazon Pay: `infra/sandboxes/amazonpay_sandbox.py` with a key pair made at start, unless
///   `AMAZON_PAY_PUBLIC_KEY_ID` is set, in which case the `AMAZON_PAY_*` settings pass through.
/// - Solana: `infra/sandboxes/solana_sandbox.py` (a JSON-RPC node over LiteSVM) with a funded receiving wallet,
///   unless `SOLANA_RPC_URL` is set, in which case the `SOLANA_*` settings pass through.
final class GatewaySandboxes: @unchecked Sendable {
    // @unchecked: `processes` is filled by `start` and emptied by `stop`, called in order by `Serve`.
    private var processes: [(String, Subprocess)] = []
    /// Files the sandboxes wrote for the functions (the Amazon Pay sandbox's private key), removed at stop.
    private var files: [URL] = []
    /// What the functions get: the endpoints and keys of each gateway, sandbox or real.
    private(set) var environment: [String: String] = [:]

    /// Each gateway's endpoint, for `serve.json`.
    var endpoints: [String: String] {
        var endpoints: [String: String] = [:]
        endpoints["stripe"] = environment["STRIPE_API_BASE"]
        endpoints["amazon_pay"] = environment["AMAZON_PAY_API_BASE"]
        endpoints["solana"] = environment["SOLANA_RPC_URL"]
        return endpoints
    }

    struct Options: Sendable {
        var enabled = true
        /// Where the sandbox launchers are (default `infra/sandboxes` under the working directory).
        var directory = "infra/sandboxes"
        /// The Python with the sandboxes' packages (default `.venv/bin/python`, or `SMARTPAY_PYTHON`).
        var python: String?
    }

    static func start(_ options: Options, environment outer: [String: String], logger: Logger) async
        -> GatewaySandboxes
    {
        let sandboxes = GatewaySandboxes()
        if let key = outer["STRIPE_API_KEY"], !key.isEmpty {
            sandboxes.environment["STRIPE_API_KEY"] = key
            if let base = outer["STRIPE_API_BASE"] { sandboxes.environment["STRIPE_API_BASE"] = base }
            logger.info(
                "stripe: credentials from the environment",
                metadata: ["base": .string(outer["STRIPE_API_BASE"] ?? "https://api.stripe.com")])
        } else if options.enabled {
            do {
                let port = try await sandboxes.launch(
                    "stripe", script: "localstripe_server.py", options: options, environment: outer)
                sandboxes.environment["STRIPE_API_KEY"] = "sk_test_smartpay_local"
                sandboxes.environment["STRIPE_API_BASE"] = "http://127.0.0.1:\(port)"
                sandboxes.environment["STRIPE_DIALECT"] = "localstripe"
                logger.info("stripe: localstripe sandbox", metadata: ["url": .string("http://127.0.0.1:\(port)")])
            } catch {
                logger.warning(
                    "stripe: no sandbox and no STRIPE_API_KEY; card payments will fail with no_gateway",
                    metadata: ["error": .string("\(error)")])
            }
        }
        if let keyID = outer["AMAZON_PAY_PUBLIC_KEY_ID"], !keyID.isEmpty {
            for name in [
                "AMAZON_PAY_PUBLIC_KEY_ID", "AMAZON_PAY_PRIVATE_KEY", "AMAZON_PAY_PRIVATE_KEY_FILE",
                "AMAZON_PAY_REGION",
                "AMAZON_PAY_ENVIRONMENT", "AMAZON_PAY_API_BASE",
            ] {
                if let value = outer[name] { sandboxes.environment[name] = value }
            }
            logger.info("amazon_pay: credentials from the environment")
        } else if options.enabled {
            // The sandbox makes the merchant's key pair and hands over the private half in a file only we can read.
            let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent(
                "smartpay-amazonpay-\(getpid()).pem")
            do {
                let port = try await sandboxes.launch(
                    "amazon_pay", script: "amazonpay_sandbox.py", options: options, environment: outer,
                    arguments: ["--public-key-id", Self.amazonPayKeyID, "--private-key-out", keyFile.path])
                sandboxes.files.append(keyFile)
                sandboxes.environment["AMAZON_PAY_PUBLIC_KEY_ID"] = Self.amazonPayKeyID
                sandboxes.environment["AMAZON_PAY_PRIVATE_KEY_FILE"] = keyFile.path
                sandboxes.environment["AMAZON_PAY_API_BASE"] = "http://127.0.0.1:\(port)"
                logger.info("amazon_pay: Amazon Pay sandbox", metadata: ["url": .string("http://127.0.0.1:\(port)")])
            } catch {
                logger.warning(
                    "amazon_pay: no sandbox and no AMAZON_PAY_PUBLIC_KEY_ID; Amazon Pay is off",
                    metadata: ["error": .string("\(error)")])
            }
        }
        if let url = outer["SOLANA_RPC_URL"], !url.isEmpty {
            for name in [
                "SOLANA_RPC_URL", "SOLANA_RECIPIENT", "SOLANA_RECIPIENT_KEY_FILE", "SOLANA_USDC_MINT",
                "SOLANA_SOL_PRICE_USD_CENTS", "SOLANA_PAYMENT_WINDOW_S", "SOLANA_WATCH_INTERVAL_MS",
            ] {
                if let value = outer[name] { sandboxes.environment[name] = value }
            }
            logger.info("solana: RPC from the environment", metadata: ["url": .string(url)])
        } else if options.enabled {
            // The sandbox funds the platform's receiving wallet (a new account must hold rent) and hands over its key.
            let wallet = FileManager.default.temporaryDirectory.appendingPathComponent(
                "smartpay-solana-recipient-\(getpid()).json")
            do {
                let port = try await sandboxes.launch(
                    "solana", script: "solana_sandbox.py", options: options, environment: outer,
                    arguments: ["--fund-wallet", wallet.path])
                sandboxes.files.append(wallet)
                sandboxes.environment["SOLANA_RPC_URL"] = "http://127.0.0.1:\(port)"
                sandboxes.environment["SOLANA_RECIPIENT_KEY_FILE"] = wallet.path
                logger.info(
                    "solana: JSON-RPC sandbox over LiteSVM", metadata: ["url": .string("http://127.0.0.1:\(port)")])
            } catch {
                logger.warning(
                    "solana: no sandbox and no SOLANA_RPC_URL; crypto payments will fail with no_gateway",
                    metadata: ["error": .string("\(error)")])
            }
        }
        return sandboxes
    }

    static let amazonPayKeyID = "SMARTPAY-LOCAL-SANDBOX"

    private func launch(
        _ name: String, script: String, options: Options, environment: [String: String], arguments: [String] = []
    ) async throws -> Int {
        let python = options.python ?? environment["SMARTPAY_PYTHON"] ?? ".venv/bin/python"
        let path = URL(fileURLWithPath: options.directory).appendingPathComponent(script).path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw RuntimeError("\(python) not found: run `make setup`")
        }
        guard FileManager.default.fileExists(atPath: path) else { throw RuntimeError("\(path) not found") }
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "smartpay-\(name)-\(getpid()).port")
        try? FileManager.default.removeItem(at: portFile)
        let process = try Subprocess(
            path: python,
            arguments: [path, "--host", "127.0.0.1", "--port", "0", "--port-file", portFile.path] + arguments,
            environment: environment, stdout: .standardError, newProcessGroup: true)
        processes.append((name, process))
        for _ in 0..<600 {
            if process.reap() != nil { throw RuntimeError("the \(name) sandbox exited at start") }
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text) {
                try? FileManager.default.removeItem(at: portFile)
                return port
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw RuntimeError("the \(name) sandbox did not start within 15 s")
    }

    func stop() async {
        for (_, process) in processes { await process.terminate() }
        processes = []
        for file in files { try? FileManager.default.removeItem(at: file) }
        files = []
    }
}
