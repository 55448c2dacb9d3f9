import Foundation
import SmartPayIO

/// A child process for tests: SmartPayIO's `Subprocess` with stdout and stderr in temp files, stopped on deinit.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: used by the one test that owns it.
    private let process: Subprocess
    public let stdoutPath: String
    public let stderrPath: String

    public var pid: pid_t { process.pid }

    /// Starts `executable` with `arguments`; stdin from `stdinPath` (or /dev/null). Without `environment` it gets
    /// ours less `AWS_LAMBDA_RUNTIME_API`.
    public init(
        _ executable: URL, arguments: [String] = [], environment: [String: String]? = nil, stdinPath: String? = nil
    ) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "smartpay-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        stdoutPath = folder.appendingPathComponent("stdout").path
        stderrPath = folder.appendingPathComponent("stderr").path
        var env = environment ?? ProcessInfo.processInfo.environment
        if environment == nil { env.removeValue(forKey: "AWS_LAMBDA_RUNTIME_API") }
        process = try Subprocess(
            path: executable.path, arguments: arguments, environment: env, stdinPath: stdinPath,
            stdout: .file(stdoutPath), stderr: .file(stderrPath))
    }

    /// The exit status (or 128 + signal), once the process has ended; nil while it runs.
    public func poll() -> Int32? { process.reap()?.code }

    public var isRunning: Bool { process.isRunning }

    public func signal(_ signal: Int32) { process.signal(signal) }

    /// Waits for the process to end; after `timeout` it is killed and an error thrown.
    @discardableResult
    public func wait(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if let status = poll() { return status }
            if ContinuousClock.now > deadline {
                await process.terminate(grace: .zero)
                throw TestSupportError("pid \(process.pid) did not exit within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// SIGTERM, then SIGKILL after a grace period; always reaps.
    public func stop(grace: Duration = .seconds(5)) {
        guard process.isRunning else { return }
        process.signal(SIGTERM)
        let deadline = ContinuousClock.now.advanced(by: grace)
        while process.isRunning && ContinuousClock.now < deadline { usleep(2000) }
        if process.isRunning {
            process.signal(SIGKILL)
            while process.isRunning { usleep(1000) }
        }
    }

    public var stdout: Data { (try? Data(contentsOf: URL(fileURLWithPath: stdoutPath))) ?? Data() }
    public var stderr: Data { (try? Data(contentsOf: URL(fileURLWithPath: stderrPath))) ?? Data() }

    deinit {
        stop(grace: .seconds(1))
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: stdoutPath).deletingLastPathComponent().path)
    }
}
