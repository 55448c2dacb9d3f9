#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process started with posix_spawn and reaped with wait4 (which also gives its peak memory).
///
/// The child starts with an empty signal mask and default signal dispositions: the spawning thread may be a
/// dispatch worker with every signal blocked, and a child inheriting that mask ignores SIGTERM.
///
/// `@unchecked Sendable`: `exit` is written only by `reap()`; owners call it from one place at a time (an actor, or
/// the test that owns the process).
public final class Subprocess: @unchecked Sendable {
    /// Where a standard stream of the child goes.
    public enum Output: Sendable {
        case inherit
        case discard
        /// Created or truncated.
        case file(String)
        /// The child's stdout joins our stderr (a function's stdout is log output, as on Lambda).
        case standardError
    }

    /// How a process ended, with its peak memory.
    public struct Exit: Sendable {
        /// The exit status, or nil when a signal ended it.
        public let status: Int32?
        public let signal: Int32?
        public let maxResidentKilobytes: Int

        /// The exit status, or 128 + the signal as a shell reports it.
        public var code: Int32 { status ?? 128 + (signal ?? 0) }

        public var description: String {
            if let signal { return "signal: \(Subprocess.signalName(signal))" }
            return "exit status \(status ?? -1)"
        }
    }

    public struct SpawnError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public let pid: pid_t
    public private(set) var exit: Exit?

    /// Starts `path` with `arguments` and exactly `environment`.
    /// - Parameters:
    ///   - stdinPath: a file for stdin; /dev/null when nil.
    ///   - newProcessGroup: puts the child in its own process group, so a terminal's Ctrl-C reaches only us and
    ///     we stop the child in order.
    public init(
        path: String, arguments: [String] = [], environment: [String: String], stdinPath: String? = nil,
        stdout: Output = .inherit, stderr: Output = .inherit, newProcessGroup: Bool = false
    ) throws(SpawnError) {
        var actions = posix_spawn_file_actions_t()
        try Self.check(posix_spawn_file_actions_init(&actions), path, "posix_spawn_file_actions_init")
        defer { posix_spawn_file_actions_destroy(&actions) }
        try Self.addStreams(to: &actions, path: path, stdinPath: stdinPath, stdout: stdout, stderr: stderr)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        Self.setSignalsAndGroup(&attributes, newProcessGroup: newProcessGroup)

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw SpawnError(description: "cannot start \(path): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    private static func check(_ result: Int32, _ path: String, _ what: String) throws(SpawnError) {
        guard result == 0 else {
            throw SpawnError(description: "cannot start \(path): \(what): \(String(cString: strerror(result)))")
        }
    }

    /// Opens the child's stdin, stdout and stderr, and closes every other descriptor in it.
    private static func addStreams(
        to actions: inout posix_spawn_file_actions_t, path: String, stdinPath: String?, stdout: Output,
        stderr: Output
    ) throws(SpawnError) {
        try check(
            posix_spawn_file_actions_addopen(&actions, 0, stdinPath ?? "/dev/null", O_RDONLY, 0), path, "stdin")
        for (descriptor, output) in [(Int32(1), stdout), (Int32(2), stderr)] {
            switch output {
            case .inherit: break
            case .discard:
                try check(
                    posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0), path,
                    "/dev/null")
            case .file(let file):
                try check(
                    posix_spawn_file_actions_addopen(&actions, descriptor, file, O_WRONLY | O_CREAT | O_TRUNC, 0o644),
                    path, file)
            case .standardError: try check(posix_spawn_file_actions_adddup2(&actions, 2, descriptor), path, "dup2")
            }
        }
        // The child gets stdin, stdout and stderr and nothing else: descriptors without close-on-exec (hiredis's
        // sockets, another child's Runtime API connection) would otherwise leak into it and keep those
        // connections open after we die, so the function processes would never see their runtime go away.
        if let closeFrom = addCloseFrom {
            try check(closeFrom(&actions, 3), path, "closefrom")
        }
    }

    /// An empty signal mask, default dispositions for the signals that stop or concern a child, and optionally a
    /// process group of its own.
    private static func setSignalsAndGroup(_ attributes: inout posix_spawnattr_t, newProcessGroup: Bool) {
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module does not
    /// export; looked up once. Without it (older C libraries) descriptors are inherited as before.
    private static let addCloseFrom:
        (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
            else { return nil }
            return unsafeBitCast(
                symbol,
                to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
        }()

    /// Reaps the process if it has ended; returns how it ended, or nil while it runs.
    @discardableResult
    public func reap() -> Exit? {
        if let exit { return exit }
        var status: Int32 = 0
        var usage = rusage()
        guard wait4(pid, &status, WNOHANG, &usage) == pid else { return nil }
        let signal = status & 0x7F
        exit = Exit(
            status: signal == 0 ? (status >> 8) & 0xFF : nil, signal: signal == 0 ? nil : signal,
            maxResidentKilobytes: Int(usage.ru_maxrss))
        return exit
    }

    public var isRunning: Bool { reap() == nil }

    /// Sends `signal` unless the process has already been reaped (its pid may be reused after that).
    public func signal(_ signal: Int32) {
        if exit == nil { kill(pid, signal) }
    }

    /// SIGTERM, then SIGKILL after `grace`; returns once the process is reaped.
    @discardableResult
    public func terminate(grace: Duration = .seconds(5)) async -> Exit {
        signal(SIGTERM)
        let deadline = ContinuousClock.now.advanced(by: grace)
        while reap() == nil && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        if reap() == nil { signal(SIGKILL) }
        while true {
            if let exit = reap() { return exit }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    public static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGKILL: "killed"
        case SIGABRT: "aborted"
        case SIGSEGV: "segmentation fault"
        case SIGILL: "illegal instruction"
        case SIGTERM: "terminated"
        case SIGBUS: "bus error"
        case SIGTRAP: "trace/breakpoint trap"
        default: "signal \(signal)"
        }
    }
}
