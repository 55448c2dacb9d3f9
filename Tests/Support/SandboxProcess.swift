import Foundation

/// One of `infra/sandboxes/`'s servers on 127.0.0.1 for a test: started with `--port` and `--port-file`, waited
/// for until it reports the port it bound, stopped after (and by its own watch when the test process dies).
public final class SandboxProcess: @unchecked Sendable {
    // @unchecked: owned by one test.
    public let name: String
    public private(set) var port: Int
    private let script: String
    private let arguments: [String]
    private var process: ChildProcess?

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `infra/sandboxes/{script}` on `port` (0: any free port) with the extra `arguments`.
    public init(_ name: String, script: String, arguments: [String] = [], port: Int = 0) async throws {
        self.name = name
        self.script = script
        self.arguments = arguments
        self.port = port
        try await launch()
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
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        let process = try ChildProcess(
            python,
            arguments: [
                root.appendingPathComponent("infra/sandboxes/\(script)").path, "--port", String(port), "--port-file",
                portFile.path,
            ] + arguments)
        self.process = process
        for _ in 0..<600 {
            if !process.isRunning {
                throw TestSupportError(
                    "\(name) exited at start: \(String(decoding: process.stderr, as: UTF8.self).suffix(500))")
            }
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let bound = Int(text) {
                port = bound
                try? FileManager.default.removeItem(at: portFile)
                return
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestSupportError("\(name) did not start within 15 s")
    }
}
