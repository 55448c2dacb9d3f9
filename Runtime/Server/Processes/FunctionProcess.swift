import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SmartPayIO
import SmartPayTemplate
import Synchronization

/// One warm process of a function with its own Lambda Runtime API endpoint on 127.0.0.1, serving one invocation
/// at a time, as Lambda does. Owning the endpoint per process ties every invocation to the process that took it,
/// so a crash or a timeout fails exactly that invocation.
///
/// The state sits behind one lock rather than in an actor: the Runtime API handler completes an invocation on its
/// event loop, with no hop through an executor (see `RuntimeAPIHandler`).
final class FunctionProcess: Sendable {
    struct Pending: Sendable {
        let requestID: String
        let payload: [UInt8]
        let deadlineMilliseconds: Int64
        let traceID: String?
    }

    /// How a waiting `next` gets its invocation (nil: the process is being stopped). Called once, from any thread.
    typealias Delivery = @Sendable (Pending?) -> Void

    private struct State: ~Copyable {
        var child: Subprocess?
        var server: (any Channel)?
        /// Set once the process first asks for work: its init is over.
        var initDuration: Duration?
        var initError: InvocationOutcome?
        var waitingForNext: (connection: Int, deliver: Delivery)?
        var handedOut: Pending?
        var current: (requestID: String, continuation: CheckedContinuation<InvocationOutcome, Never>)?
        /// When the current invocation must have answered.
        var deadline: ContinuousClock.Instant?
        var readyWaiters: [CheckedContinuation<Void, Never>] = []
        var stopping = false
        var connections = 0

        /// Ends the current invocation with `outcome`; the caller resumes the continuation outside the lock.
        mutating func finish(_ outcome: InvocationOutcome) -> Finished? {
            guard let current else { return nil }
            self.current = nil
            handedOut = nil
            deadline = nil
            return Finished(continuation: current.continuation, outcome: outcome)
        }

        mutating func takeReadyWaiters() -> [CheckedContinuation<Void, Never>] {
            defer { readyWaiters = [] }
            return readyWaiters
        }
    }

    private struct Finished {
        let continuation: CheckedContinuation<InvocationOutcome, Never>
        let outcome: InvocationOutcome
        func resume() { continuation.resume(returning: outcome) }
    }

    let spec: FunctionSpec
    let serial: Int
    private let logger: Logger
    private let spawnedAt = ContinuousClock.now
    private let state = Mutex(State())

    init(spec: FunctionSpec, serial: Int, logger: Logger) {
        self.spec = spec
        self.serial = serial
        self.logger = logger
    }

    var isAlive: Bool { state.withLock { !$0.stopping && $0.child?.reap() == nil && $0.initError == nil } }

    /// Starts the endpoint and the process.
    /// - Parameter logs: where its output goes; nil passes it to the runtime's stderr.
    func start(binary: String, environment: [String: String], logs: FunctionLogs? = nil) async throws {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 16)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                let connection = state.withLock { state in
                    state.connections += 1
                    return state.connections
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        RuntimeAPIHandler(process: self, connection: connection))
                }
            }
        let server: any Channel
        do {
            server = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        } catch {
            throw RuntimeError("the Runtime API endpoint for \(spec.name) did not start: \(error)")
        }
        let port = server.localAddress?.port ?? 0
        var env = environment
        env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(port)"
        env["AWS_LAMBDA_FUNCTION_NAME"] = spec.name
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = String(spec.memoryMB)
        env["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
        env["AWS_REGION"] = TemplateParser.region
        env["AWS_DEFAULT_REGION"] = TemplateParser.region
        let child: Subprocess
        do {
            if let logs {
                let files = try logs.files(for: spec.name, serial: serial)
                child = try Subprocess(
                    path: binary, environment: env, stdout: .file(files.stdout), stderr: .file(files.stderr),
                    newProcessGroup: true)
            } else {
                child = try Subprocess(path: binary, environment: env, stdout: .standardError, newProcessGroup: true)
            }
        } catch {
            try? await server.close()
            throw RuntimeError("\(error)")
        }
        state.withLock { state in
            state.server = server
            state.child = child
        }
        logger.debug(
            "process started", metadata: ["function": .string(spec.name), "pid": .stringConvertible(child.pid)])
    }

    /// How an invocation ended, with what the pool needs to know of the process afterwards — in one answer.
    struct Completion: Sendable {
        let outcome: InvocationOutcome
        let initDuration: Duration?
        let stillAlive: Bool
        let exit: Subprocess.Exit?
    }

    /// Runs one invocation and reports how it ended and the state it left the process in.
    func run(_ pending: Pending, timeout: Duration) async -> Completion {
        let outcome = await invoke(pending, timeout: timeout)
        return state.withLock { state in
            let exit = state.child?.reap()
            return Completion(
                outcome: outcome, initDuration: state.initDuration,
                stillAlive: !state.stopping && exit == nil && state.initError == nil, exit: exit)
        }
    }

    /// Runs one invocation on this process and returns how it ended (never throws: every failure is an outcome).
    /// The pool's monitor (every 20 ms) enforces the deadline: no timer per invocation.
    func invoke(_ pending: Pending, timeout: Duration) async -> InvocationOutcome {
        await withCheckedContinuation { continuation in
            enum Step {
                case failed(InvocationOutcome)
                case deliver(Delivery)
                case handedOut
            }
            let step = state.withLock { state -> Step in
                if let initError = state.initError { return .failed(initError) }
                state.deadline = ContinuousClock.now + timeout
                state.current = (pending.requestID, continuation)
                if let waiting = state.waitingForNext {
                    state.waitingForNext = nil
                    return .deliver(waiting.deliver)
                }
                state.handedOut = pending
                return .handedOut
            }
            switch step {
            case .failed(let outcome): continuation.resume(returning: outcome)
            case .deliver(let deliver): deliver(pending)
            case .handedOut: break
            }
        }
    }

    /// Checks whether the process has died or its invocation has run past its deadline; fails the invocation
    /// then.
    func poll() {
        let (finished, ready) = state.withLock { state -> (Finished?, [CheckedContinuation<Void, Never>]) in
            if state.current != nil, let deadline = state.deadline, ContinuousClock.now >= deadline {
                return (timedOut(&state), [])
            }
            guard let exit = state.child?.reap() else { return (nil, []) }
            let outcome: InvocationOutcome =
                state.initDuration == nil
                ? .initError(
                    type: "Runtime.ExitError",
                    document: InvocationOutcome.document(
                        type: "Runtime.ExitError",
                        message: "Runtime exited before initialisation finished: \(exit.description)"))
                : .exited(exit.description)
            if state.initDuration == nil, state.initError == nil { state.initError = outcome }
            return (state.finish(outcome), state.takeReadyWaiters())
        }
        finished?.resume()
        for waiter in ready { waiter.resume() }
    }

    /// Waits until the process asks for its first invocation (or fails to start).
    func waitUntilReady() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.initDuration != nil || state.initError != nil || state.child?.reap() != nil { return true }
                state.readyWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// SIGTERM, then SIGKILL after `grace`; ends the endpoint. Returns how the process ended.
    @discardableResult
    func stop(grace: Duration = .seconds(2)) async -> Subprocess.Exit? {
        let (waiting, child, server) = state.withLock { state in
            state.stopping = true
            defer { state.waitingForNext = nil }
            return (state.waitingForNext?.deliver, state.child, state.server)
        }
        waiting?(nil)
        if let child { await child.terminate(grace: grace) }
        let (finished, exit) = state.withLock { state in
            let exit = state.child?.reap()
            return (state.finish(.exited(exit?.description ?? "stopped")), exit)
        }
        finished?.resume()
        try? await server?.close()
        return exit
    }

    private func timedOut(_ state: inout State) -> Finished? {
        guard let current = state.current else { return nil }
        logger.warning(
            "invocation timed out; killing the process",
            metadata: ["function": .string(spec.name), "request_id": .string(current.requestID)])
        state.child?.signal(SIGKILL)
        state.stopping = true
        return state.finish(.timeout(seconds: spec.timeoutSeconds))
    }

    // MARK: - the Runtime API, seen from the process (called by RuntimeAPIHandler on its event loop)

    /// `GET …/invocation/next`: delivers the handed-out invocation now, or when one arrives.
    func next(connection: Int, deliver: @escaping Delivery) {
        enum Step {
            case now(Pending?)
            case wait
        }
        let (step, ready) = state.withLock { state -> (Step, [CheckedContinuation<Void, Never>]) in
            var ready: [CheckedContinuation<Void, Never>] = []
            if state.initDuration == nil {
                state.initDuration = ContinuousClock.now - spawnedAt
                ready = state.takeReadyWaiters()
            }
            if state.stopping { return (.now(nil), ready) }
            if let pending = state.handedOut {
                state.handedOut = nil
                return (.now(pending), ready)
            }
            state.waitingForNext = (connection, deliver)
            return (.wait, ready)
        }
        for waiter in ready { waiter.resume() }
        if case .now(let pending) = step { deliver(pending) }
    }

    /// The connection a `next` waited on closed: nothing can be delivered on it any more.
    func connectionClosed(_ connection: Int) {
        state.withLock { state in
            if state.waitingForNext?.connection == connection { state.waitingForNext = nil }
        }
    }

    /// `POST …/invocation/{id}/response|error`. False when `requestID` is not the invocation in flight.
    func respond(_ requestID: String, _ outcome: InvocationOutcome) -> Bool {
        let finished = state.withLock { state -> Finished?? in
            guard state.current?.requestID == requestID else { return .none }
            // The function's harness reports its own deadline at the same moment as our monitor: either way it is
            // a timeout, and the process (whose handler may still be running) is replaced, as Lambda resets a
            // sandbox.
            if case .functionError(let type, _) = outcome, type == "Sandbox.Timedout" {
                state.child?.signal(SIGKILL)
                state.stopping = true
                return .some(state.finish(.timeout(seconds: spec.timeoutSeconds)))
            }
            return .some(state.finish(outcome))
        }
        guard let finished else { return false }
        finished?.resume()
        return true
    }

    /// `POST …/init/error`.
    func failInitialization(type: String, document: [UInt8]) {
        let outcome = InvocationOutcome.initError(type: type, document: document)
        let (finished, ready) = state.withLock { state in
            state.initError = outcome
            return (state.finish(outcome), state.takeReadyWaiters())
        }
        finished?.resume()
        for waiter in ready { waiter.resume() }
    }
}

/// A fault of the runtime itself (not of a function).
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
