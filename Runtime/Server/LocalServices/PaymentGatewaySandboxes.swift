import Foundation
import Logging
import SmartPayIO
import SmartPayTemplate

/// The payment gateways' local sandboxes, for `smartpay serve` without gateway credentials: started on 127.0.0.1
/// with the runtime, stopped with it, and handed to the functions as their gateway endpoints.
///
/// - Stripe: localstripe (`infra/sandboxes/localstripe_server.py`, installed by `make setup`), unless
///   `STRIPE_API_KEY` is set, in which case the `STRIPE_*` settings pass through to the functions.
/// - Amazon Pay: `infra/sandboxes/amazonpay_sandbox.py` with a key pair made at start, unless
///   `AMAZON_PAY_PUBLIC_KEY_ID` is set, in which case the `AMAZON_PAY_*` settings pass through.
/// - Solana: `infra/sandboxes/solana_sandbox.py` (a JSON-RPC node over LiteSVM) with a funded receiving wallet,
///   unless `SOLANA_RPC_URL` is set, in which case the `SOLANA_*` settings pass through.
final class PaymentGatewaySandboxes: @unchecked Sendable {
    // @unchecked: `processes` is filled by `start` and emptied by `stop`, called in order by `Serve`.
    private var processes: [(String, Subprocess)] = []
    /// Files the sandboxes wrote for the functions (the Amazon Pay sandbox's private key), removed at stop.
    private var files: [URL] = []
    /// What the functions get: the endpoints and keys of each gateway, sandbox or real.
    private(set) var environment: [String: String] = [:]
    /// The part of `environment` the sandboxes made (not passed through from the environment).
    private(set) var sandboxEnvironment: [String: String] = [:]

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
        /// The sandboxes the template's functions declare (`Metadata.SmartPay.Sandboxes`); only these start.
        var wanted: Set<String> = []
        /// Where the sandbox launchers are (default `infra/sandboxes` under the working directory).
        var directory = "infra/sandboxes"
        /// The Python with the sandboxes' packages (default `.venv/bin/python`, or `SMARTPAY_PYTHON`).
        var python: String?
    }

    /// One gateway's way to the functions: its settings from the environment when `credential` is set, else its
    /// sandbox, started with `arguments` and described to the functions by `settings(port)`.
    struct Gateway {
        var name: String
        /// The setting whose presence means "use the real endpoint" (`STRIPE_API_KEY`, …).
        var credential: String
        /// What every setting of this gateway is named with (`STRIPE_`, …): they all pass through as they are then.
        var prefix: String
        var script: String
        var arguments: [String] = []
        /// A file the sandbox writes for the functions (a key), removed at stop.
        var file: URL?
        var settings: (Int) -> [String: String]
        var label: String
        /// What goes missing without sandbox and credentials.
        var withoutIt: String
    }

    static func gateways() -> [Gateway] {
        let temporary = FileManager.default.temporaryDirectory
        let amazonKey = temporary.appendingPathComponent("smartpay-amazonpay-\(getpid()).pem")
        let solanaWallet = temporary.appendingPathComponent("smartpay-solana-recipient-\(getpid()).json")
        return [
            Gateway(
                name: "stripe", credential: "STRIPE_API_KEY", prefix: "STRIPE_", script: "localstripe_server.py",
                settings: { port in
                    [
                        "STRIPE_API_KEY": "sk_test_smartpay_local", "STRIPE_API_BASE": "http://127.0.0.1:\(port)",
                        "STRIPE_DIALECT": "localstripe",
                    ]
                }, label: "localstripe sandbox", withoutIt: "card payments will fail with no_gateway"),
            // The sandbox makes the merchant's key pair and hands over the private half in a file only we can read.
            Gateway(
                name: "amazon_pay", credential: "AMAZON_PAY_PUBLIC_KEY_ID", prefix: "AMAZON_PAY_",
                script: "amazonpay_sandbox.py",
                arguments: ["--public-key-id", amazonPayKeyID, "--private-key-out", amazonKey.path], file: amazonKey,
                settings: { port in
                    [
                        "AMAZON_PAY_PUBLIC_KEY_ID": amazonPayKeyID, "AMAZON_PAY_PRIVATE_KEY_FILE": amazonKey.path,
                        "AMAZON_PAY_API_BASE": "http://127.0.0.1:\(port)",
                    ]
                }, label: "Amazon Pay sandbox", withoutIt: "Amazon Pay is off"),
            // The sandbox funds the platform's receiving wallet (a new account must hold rent) and hands over its key.
            Gateway(
                name: "solana", credential: "SOLANA_RPC_URL", prefix: "SOLANA_", script: "solana_sandbox.py",
                arguments: ["--fund-wallet", solanaWallet.path], file: solanaWallet,
                settings: { port in
                    ["SOLANA_RPC_URL": "http://127.0.0.1:\(port)", "SOLANA_RECIPIENT_KEY_FILE": solanaWallet.path]
                }, label: "JSON-RPC sandbox over LiteSVM", withoutIt: "crypto payments will fail with no_gateway"),
        ]
    }

    static func start(_ options: Options, environment outer: [String: String], logger: Logger) async
        -> PaymentGatewaySandboxes
    {
        let sandboxes = PaymentGatewaySandboxes()
        for gateway in gateways() {
            if let credential = outer[gateway.credential], !credential.isEmpty {
                let settings = outer.filter { $0.key.hasPrefix(gateway.prefix) }
                sandboxes.environment.merge(settings) { $1 }
                logger.info(
                    "\(gateway.name): settings from the environment",
                    metadata: ["settings": .string(settings.keys.sorted().joined(separator: " "))])
                continue
            }
            guard options.enabled, options.wanted.contains(gateway.name) else { continue }
            do {
                let port = try await sandboxes.launch(
                    gateway.name, script: gateway.script, options: options, environment: outer,
                    arguments: gateway.arguments)
                if let file = gateway.file { sandboxes.files.append(file) }
                sandboxes.environment.merge(gateway.settings(port)) { $1 }
                sandboxes.sandboxEnvironment.merge(gateway.settings(port)) { $1 }
                logger.info(
                    "\(gateway.name): \(gateway.label)", metadata: ["url": .string("http://127.0.0.1:\(port)")])
            } catch {
                logger.warning(
                    "\(gateway.name): no sandbox and no \(gateway.credential); \(gateway.withoutIt)",
                    metadata: ["error": .string("\(error)")])
            }
        }
        return sandboxes
    }

    static let amazonPayKeyID = "SMARTPAY-LOCAL-SANDBOX"

    /// The sandboxes there are, by the name a template declares them with.
    static var names: [String] { gateways().map(\.name) }

    /// The sandboxes the template's functions declare.
    /// - Throws: `RuntimeError` naming the function and the name when one is not a sandbox.
    static func declared(by template: Template) throws -> Set<String> {
        let names = names
        var wanted: Set<String> = []
        for function in template.functions.values.sorted(by: { $0.logicalID < $1.logicalID }) {
            for name in function.sandboxes {
                guard names.contains(name) else {
                    throw RuntimeError(
                        "\(function.logicalID): Metadata.SmartPay.Sandboxes names no sandbox \"\(name)\" (there are: \(names.joined(separator: ", ")))"
                    )
                }
                wanted.insert(name)
            }
        }
        return wanted
    }

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
