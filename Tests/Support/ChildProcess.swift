import Foundation

/// A child process started with posix_spawn and reaped with waitpid (Foundation's Process on Linux can fail to
/// reap children when its run loop thread is starved, which hangs a test). Output goes to files.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `status` is only written by `poll()`, called from the owning test one call at a time.
    public let pid: pid_t
    public let stdoutPath: String
    public let stderrPath: String
    private var status: Int32?

    /// Starts `executable` with `arguments`; stdin from `stdinPath` (or /dev/null), stdout and stderr to temp files.
    public init(
        _ executable: URL, arguments: [String] = [], environment: [String: String]? = nil, stdinPath: String? = nil
    ) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "smartpay-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        stdoutPath = folder.appendingPathComponent("stdout").path
        stderrPath = folder.appendingPathComponent("stderr").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var env = environment ?? ProcessInfo.processInfo.environment
        if environment == nil { env.removeValue(forKey: "AWS_LAMBDA_RUNTIME_API") }
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }

        // The spawning thread may be a dispatch worker with every signal blocked; a child inheriting that mask would
        // ignore SIGTERM. Start it with an empty mask and default dispositions.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw TestSupportError("posix_spawn \(executable.path) failed: \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    /// The exit status (or 128 + signal), once the process has ended; nil while it runs.
    public func poll() -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        guard result == pid else { return nil }
        let signal = raw & 0x7F
        status = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        return status
    }

    public var isRunning: Bool { poll() == nil }

    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for the process to end; after `timeout` it is killed and an error thrown.
    @discardableResult
    public func wait(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if let status = poll() { return status }
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                _ = try? await wait(timeout: .seconds(5))
                throw TestSupportError("pid \(pid) did not exit within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// SIGTERM, then SIGKILL after a grace period; always reaps.
    public func stop(grace: Duration = .seconds(5)) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now.advanced(by: grace)
        while isRunning && ContinuousClock.now < deadline { usleep(2000) }
        if isRunning {
            kill(pid, SIGKILL)
            while isRunning { usleep(1000) }
        }
    }

    public var stdout: Data { (try? Data(contentsOf: URL(fileURLWithPath: stdoutPath))) ?? Data() }
    public var stderr: Data { (try? Data(contentsOf: URL(fileURLWithPath: stderrPath))) ?? Data() }

    deinit {
        stop(grace: .seconds(1))
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: stdoutPath).deletingLastPathComponent().path)
    }
}
