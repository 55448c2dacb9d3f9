import Foundation
import Logging
import SmartPayCore
import SmartPayIO
import SmartPayTemplate
import Synchronization

/// The warm processes of one function: at most `maximumConcurrency` at once, each serving one invocation at a
/// time; further invocations wait in a bounded queue, and a full queue is refused (`TooManyRequestsException`).
/// A process that crashes or times out is dropped and a fresh one starts for the next invocation.
///
/// Its state sits behind one lock: taking an idle process and giving it back are a few instructions, not two
/// actor hops per invocation.
public final class FunctionPool: Sendable {
    public let spec: FunctionSpec
    public let maximumConcurrency: Int
    public let queueLimit: Int
    private let binary: String
    /// What its processes get: the runtime's settings, the template's, the local-only ones.
    let environment: [String: String]
    private let logger: Logger
    /// Where its processes write their output; nil: the runtime's stderr.
    private let logs: FunctionLogs?
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var idle: [FunctionProcess] = []
        var all: [Int: FunctionProcess] = [:]
        var starting = 0
        var waiters: [CheckedContinuation<Handover, Never>] = []
        var serial = 0
        var monitor: Task<Void, Never>?
        var closed = false

        /// Counts a process about to start against the concurrency and gives it its serial; nil when full.
        mutating func reserveSlot(maximum: Int) -> Int? {
            guard all.count + starting < maximum else { return nil }
            starting += 1
            serial += 1
            return serial
        }
    }

    /// What a queued invocation is woken with.
    private enum Handover {
        /// A warm process, now the waiter's.
        case process(FunctionProcess)
        /// A slot freed (a process died): try again, which may start a fresh process.
        case retry
        case closed
    }

    /// Refused before it ran.
    public enum Refusal: Error, Sendable {
        /// Concurrency and queue are full.
        case tooManyRequests(String)
        /// The runtime is shutting down.
        case shuttingDown
    }

    public init(
        spec: FunctionSpec, binary: String, environment: [String: String], maximumConcurrency: Int, queueLimit: Int,
        logs: FunctionLogs? = nil, logger: Logger
    ) {
        self.logs = logs
        self.spec = spec
        self.binary = binary
        self.environment = environment
        self.maximumConcurrency = max(1, maximumConcurrency)
        self.queueLimit = queueLimit
        self.logger = logger
    }

    /// Invocations waiting for a process.
    public var queueDepth: Int { state.withLock { $0.waiters.count } }
    /// Processes alive now.
    public var processCount: Int { state.withLock { $0.all.count } }

    /// Runs one invocation: on an idle process, a new one (a cold start), or after waiting for one.
    /// - Throws: `Refusal` when it cannot run at all.
    public func invoke(payload: [UInt8], requestID: String = UUID().uuidString.lowercased(), traceID: String? = nil)
        async throws(Refusal) -> InvocationRecord
    {
        startMonitor()
        let (process, cold) = try await acquire()
        let timeout = Duration.seconds(spec.timeoutSeconds)
        let deadline = Timestamp.now().millisecondsSinceEpoch + Int64(spec.timeoutSeconds) * 1000
        let started = ContinuousClock.now
        let completion = await process.run(
            .init(requestID: requestID, payload: payload, deadlineMilliseconds: deadline, traceID: traceID),
            timeout: timeout)
        let duration = ContinuousClock.now - started
        await release(process, alive: completion.stillAlive)
        return InvocationRecord(
            requestID: requestID, function: spec.name, outcome: completion.outcome, duration: duration,
            initDuration: cold ? completion.initDuration : nil, memorySizeMB: spec.memoryMB,
            maxMemoryUsedMB: completion.exit.map { ($0.maxResidentKilobytes + 1023) / 1024 })
    }

    /// Starts `count` processes now and waits until each has initialised (`--warm`).
    public func warm(_ count: Int) async throws {
        var started: [FunctionProcess] = []
        for _ in 0..<count {
            guard let serial = state.withLock({ $0.reserveSlot(maximum: maximumConcurrency) }) else { break }
            started.append(try await spawn(serial: serial))
        }
        for process in started {
            await process.waitUntilReady()
            await release(process, alive: process.isAlive)
        }
    }

    /// Stops every process (SIGTERM, then SIGKILL) after in-flight invocations end or `grace` passes.
    public func shutdown(grace: Duration = .seconds(5)) async {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: .closed) }
        let deadline = ContinuousClock.now.advanced(by: grace)
        while state.withLock({ $0.idle.count < $0.all.count }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        _ = await stopAll()
    }

    /// Stops every process and returns their peak resident memory in kilobytes (for `smartpay invoke`'s report).
    public func stopAll() async -> [Int] {
        let (processes, monitor) = state.withLock { state in
            state.closed = true
            defer {
                state.all = [:]
                state.idle = []
                state.monitor = nil
            }
            return (Array(state.all.values), state.monitor)
        }
        var exits: [Int] = []
        for process in processes { if let exit = await process.stop() { exits.append(exit.maxResidentKilobytes) } }
        monitor?.cancel()
        return exits
    }

    private enum Step {
        case use(FunctionProcess)
        case spawn(serial: Int)
        case wait
        case refuse(Refusal)
    }

    /// Decides, under the lock, how the next invocation gets a process.
    private func step(_ state: inout State, queueing continuation: CheckedContinuation<Handover, Never>? = nil) -> Step
    {
        if state.closed { return .refuse(.shuttingDown) }
        while let process = state.idle.popLast() {
            if process.isAlive { return .use(process) }
            state.all[process.serial] = nil
        }
        if let serial = state.reserveSlot(maximum: maximumConcurrency) { return .spawn(serial: serial) }
        guard state.waiters.count < queueLimit else {
            return .refuse(
                .tooManyRequests(
                    "Rate Exceeded. \(spec.name) is at its concurrency of \(maximumConcurrency) with \(state.waiters.count) invocations queued"
                ))
        }
        if let continuation { state.waiters.append(continuation) }
        return .wait
    }

    private func acquire() async throws(Refusal) -> (FunctionProcess, Bool) {
        while true {
            var decided = state.withLock { step(&$0) }
            if case .wait = decided {
                // Decide again and queue in the same critical section, so a release in between is not missed.
                let handover = await withCheckedContinuation { (continuation: CheckedContinuation<Handover, Never>) in
                    decided = state.withLock { step(&$0, queueing: continuation) }
                    if case .wait = decided { return }
                    continuation.resume(returning: .retry)
                }
                switch handover {
                case .process(let process):
                    if process.isAlive { return (process, false) }
                    await release(process, alive: false)
                    continue
                case .closed: throw .shuttingDown
                case .retry:
                    // Woken to try again, or not queued at all: `decided` then says what to do instead.
                    if case .wait = decided { continue }
                }
            }
            switch decided {
            case .use(let process): return (process, false)
            case .spawn(let serial):
                do {
                    return (try await spawn(serial: serial), true)
                } catch {
                    logger.error(
                        "cannot start a process",
                        metadata: ["function": .string(spec.name), "error": .string("\(error)")]
                    )
                    throw .tooManyRequests("cannot start \(spec.name): \(error)")
                }
            case .refuse(let refusal): throw refusal
            case .wait: continue
            }
        }
    }

    private func release(_ process: FunctionProcess, alive: Bool) async {
        if alive {
            let (kept, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Handover, Never>?) in
                if state.closed { return (false, nil) }
                if !state.waiters.isEmpty { return (true, state.waiters.removeFirst()) }
                state.idle.append(process)
                return (true, nil)
            }
            waiter?.resume(returning: .process(process))
            if kept { return }
        }
        let removed = state.withLock { $0.all.removeValue(forKey: process.serial) != nil }
        if removed { await process.stop(grace: .milliseconds(100)) }
        // A waiter may now start a fresh process in the freed slot.
        let waiter = state.withLock { state -> CheckedContinuation<Handover, Never>? in
            guard !state.waiters.isEmpty, !state.closed, state.all.count + state.starting < maximumConcurrency else {
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: .retry)
    }

    /// Starts a process in a slot already counted in `starting`.
    private func spawn(serial: Int) async throws -> FunctionProcess {
        let process = FunctionProcess(spec: spec, serial: serial, logger: logger)
        do {
            try await process.start(binary: binary, environment: environment, logs: logs)
        } catch {
            state.withLock { $0.starting -= 1 }
            throw error
        }
        state.withLock { state in
            state.starting -= 1
            state.all[serial] = process
        }
        return process
    }

    /// Watches the processes for crashes (a 20 ms poll of wait4), so an invocation in flight on a dead process
    /// fails at once with `Runtime.ExitError`; and enforces invocation deadlines.
    private func startMonitor() {
        state.withLock { state in
            guard state.monitor == nil, !state.closed else { return }
            state.monitor = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(20))
                    guard let self else { return }
                    for process in self.state.withLock({ Array($0.all.values) }) { process.poll() }
                }
            }
        }
    }
}
