import Foundation
import Logging
import SmartPayCore
import SmartPayIO
import SmartPayTemplate

/// The warm processes of one function: at most `maximumConcurrency` at once, each serving one invocation at a
/// time; further invocations wait in a bounded queue, and a full queue is refused (`TooManyRequestsException`).
/// A process that crashes or times out is dropped and a fresh one starts for the next invocation.
public actor FunctionPool {
    public let spec: FunctionSpec
    public let maximumConcurrency: Int
    public let queueLimit: Int
    private let binary: String
    private let environment: [String: String]
    private let logger: Logger
    private var idle: [FunctionProcess] = []
    private var all: [Int: FunctionProcess] = [:]
    private var starting = 0
    private var waiters: [CheckedContinuation<FunctionProcess?, Never>] = []
    private var serial = 0
    private var monitor: Task<Void, Never>?
    private var closed = false

    /// Refused before it ran.
    public enum Refusal: Error, Sendable {
        /// Concurrency and queue are full.
        case tooManyRequests(String)
        /// The runtime is shutting down.
        case shuttingDown
    }

    public init(
        spec: FunctionSpec, binary: String, environment: [String: String], maximumConcurrency: Int, queueLimit: Int,
        logger: Logger
    ) {
        self.spec = spec
        self.binary = binary
        self.environment = environment
        self.maximumConcurrency = max(1, maximumConcurrency)
        self.queueLimit = queueLimit
        self.logger = logger
    }

    /// Invocations waiting for a process.
    public var queueDepth: Int { waiters.count }
    /// Processes alive now.
    public var processCount: Int { all.count }

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
        for _ in 0..<min(count, maximumConcurrency - all.count) {
            let process = try await spawn()
            started.append(process)
        }
        for process in started {
            await process.waitUntilReady()
            await release(process, alive: await process.isAlive)
        }
    }

    /// Stops every process (SIGTERM, then SIGKILL) after in-flight invocations end or `grace` passes.
    public func shutdown(grace: Duration = .seconds(5)) async {
        closed = true
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters.removeAll()
        let deadline = ContinuousClock.now.advanced(by: grace)
        while idle.count < all.count && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        for process in all.values { await process.stop() }
        all.removeAll()
        idle.removeAll()
        monitor?.cancel()
    }

    /// Stops every process and returns their peak resident memory in kilobytes (for `smartpay invoke`'s report).
    public func stopAll() async -> [Int] {
        closed = true
        var exits: [Int] = []
        for process in all.values { if let exit = await process.stop() { exits.append(exit.maxResidentKilobytes) } }
        all.removeAll()
        idle.removeAll()
        monitor?.cancel()
        return exits
    }

    private func acquire() async throws(Refusal) -> (FunctionProcess, Bool) {
        if closed { throw .shuttingDown }
        while let process = idle.popLast() {
            if await process.isAlive { return (process, false) }
            all[process.serial] = nil
        }
        if all.count + starting < maximumConcurrency {
            do {
                let process = try await spawn()
                return (process, true)
            } catch {
                logger.error(
                    "cannot start a process", metadata: ["function": .string(spec.name), "error": .string("\(error)")])
                throw .tooManyRequests("cannot start \(spec.name): \(error)")
            }
        }
        guard waiters.count < queueLimit else {
            throw .tooManyRequests(
                "Rate Exceeded. \(spec.name) is at its concurrency of \(maximumConcurrency) with \(waiters.count) invocations queued"
            )
        }
        guard let process = await withCheckedContinuation({ waiters.append($0) }) else { throw .shuttingDown }
        if await process.isAlive { return (process, false) }
        return try await acquire()
    }

    private func release(_ process: FunctionProcess, alive: Bool) async {
        guard alive, !closed else {
            if all.removeValue(forKey: process.serial) != nil { await process.stop(grace: .milliseconds(100)) }
            // A waiter may now start a fresh process in the freed slot.
            if !waiters.isEmpty, !closed, all.count + starting < maximumConcurrency {
                let waiter = waiters.removeFirst()
                do {
                    waiter.resume(returning: try await spawn())
                } catch {
                    waiter.resume(returning: nil)
                }
            }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: process)
        } else {
            idle.append(process)
        }
    }

    private func spawn() async throws -> FunctionProcess {
        serial += 1
        starting += 1
        defer { starting -= 1 }
        let process = FunctionProcess(spec: spec, serial: serial, logger: logger)
        try await process.start(binary: binary, environment: environment)
        all[process.serial] = process
        return process
    }

    /// Watches the processes for crashes (a 20 ms poll of wait4), so an invocation in flight on a dead process
    /// fails at once with `Runtime.ExitError`.
    private func startMonitor() {
        guard monitor == nil else { return }
        monitor = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(20))
                guard let self else { return }
                for process in await self.processes() { await process.poll() }
            }
        }
    }

    private func processes() -> [FunctionProcess] { Array(all.values) }
}
