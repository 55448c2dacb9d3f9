#if canImport(Glibc)
    import Glibc
#endif

/// A function process started with posix_spawn: in its own process group (so a terminal's Ctrl-C reaches the
/// runtime, which then stops its children in order), with an empty signal mask and default dispositions (the
/// spawning thread may be a dispatch worker with every signal blocked), stdout sent to our stderr (a function's
/// stdout is log output, as on Lambda).
final class Subprocess: @unchecked Sendable {
    // @unchecked: `exit` is written only by `reap()`, which the owning FunctionProcess actor serialises.
    let pid: pid_t
    private(set) var exit: Exit?

    /// How a process ended, with its peak memory.
    struct Exit: Sendable {
        /// The exit status, or nil when a signal ended it.
        let status: Int32?
        let signal: Int32?
        let maxResidentKilobytes: Int

        var description: String {
            if let signal { return "signal: \(Subprocess.signalName(signal))" }
            return "exit status \(status ?? -1)"
        }
    }

    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    init(path: String, arguments: [String] = [], environment: [String: String]) throws(SpawnError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 2, 1)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

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

    /// Reaps the process if it has ended; returns how it ended, or nil while it runs.
    @discardableResult
    func reap() -> Exit? {
        if let exit { return exit }
        var status: Int32 = 0
        var usage = rusage()
        let result = wait4(pid, &status, WNOHANG, &usage)
        guard result == pid else { return nil }
        let signal = status & 0x7F
        exit = Exit(
            status: signal == 0 ? (status >> 8) & 0xFF : nil, signal: signal == 0 ? nil : signal,
            maxResidentKilobytes: Int(usage.ru_maxrss))
        return exit
    }

    func signal(_ signal: Int32) {
        if exit == nil { kill(pid, signal) }
    }

    static func signalName(_ signal: Int32) -> String {
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
