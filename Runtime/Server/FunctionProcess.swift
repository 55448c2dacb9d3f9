import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SmartPayIO
import SmartPayTemplate

/// One warm process of a function with its own Lambda Runtime API endpoint on 127.0.0.1, serving one invocation
/// at a time, as Lambda does. Owning the endpoint per process ties every invocation to the process that took it,
/// so a crash or a timeout fails exactly that invocation.
actor FunctionProcess {
    struct Pending: Sendable {
        let requestID: String
        let payload: [UInt8]
        let deadlineMilliseconds: Int64
        let traceID: String?
    }

    let spec: FunctionSpec
    let serial: Int
    private let logger: Logger
    private var child: Subprocess?
    private var serverTask: Task<Void, any Error>?
    private(set) var port = 0
    private let spawnedAt = ContinuousClock.now
    /// Set once the process first asks for work: its init is over.
    private(set) var initDuration: Duration?
    private var initError: InvocationOutcome?

    private var waitingForNext: CheckedContinuation<Pending?, Never>?
    private var handedOut: Pending?
    private var current: (requestID: String, continuation: CheckedContinuation<InvocationOutcome, Never>)?
    /// When the current invocation must have answered.
    private var deadline: ContinuousClock.Instant?
    private var readyWaiters: [CheckedContinuation<Void, Never>] = []
    private var stopping = false

    init(spec: FunctionSpec, serial: Int, logger: Logger) {
        self.spec = spec
        self.serial = serial
        self.logger = logger
    }

    var isAlive: Bool { !stopping && child?.reap() == nil && initError == nil }
    var exit: Subprocess.Exit? { child?.reap() }

    /// Starts the endpoint and the process.
    func start(binary: String, environment: [String: String]) async throws {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var serverLogger = logger
        serverLogger.logLevel = .warning
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: serverLogger)
        serverTask = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            throw RuntimeError("the Runtime API endpoint for \(spec.name) did not start")
        }
        self.port = port
        var env = environment
        env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(port)"
        env["AWS_LAMBDA_FUNCTION_NAME"] = spec.name
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = String(spec.memoryMB)
        env["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
        env["AWS_REGION"] = TemplateParser.region
        env["AWS_DEFAULT_REGION"] = TemplateParser.region
        do {
            child = try Subprocess(path: binary, environment: env, stdout: .standardError, newProcessGroup: true)
        } catch {
            serverTask?.cancel()
            throw RuntimeError(error.description)
        }
        logger.debug(
            "process started", metadata: ["function": .string(spec.name), "pid": .stringConvertible(child!.pid)])
    }

    /// How an invocation ended, with what the pool needs to know of the process afterwards — in one answer, so
    /// the pool does not hop back onto this actor for each fact.
    struct Completion: Sendable {
        let outcome: InvocationOutcome
        let initDuration: Duration?
        let stillAlive: Bool
        let exit: Subprocess.Exit?
    }

    /// Runs one invocation and reports how it ended and the state it left the process in.
    func run(_ pending: Pending, timeout: Duration) async -> Completion {
        let outcome = await invoke(pending, timeout: timeout)
        let exit = child?.reap()
        return Completion(outcome: outcome, initDuration: initDuration, stillAlive: isAlive, exit: exit)
    }

    /// Runs one invocation on this process and returns how it ended (never throws: every failure is an outcome).
    func invoke(_ pending: Pending, timeout: Duration) async -> InvocationOutcome {
        if let initError { return initError }
        // The pool's monitor (every 20 ms) enforces the deadline: no timer per invocation.
        deadline = ContinuousClock.now + timeout
        return await withCheckedContinuation { continuation in
            current = (pending.requestID, continuation)
            if let waiting = waitingForNext {
                waitingForNext = nil
                waiting.resume(returning: pending)
            } else {
                handedOut = pending
            }
        }
    }

    /// Checks whether the process has died or its invocation has run past its deadline; fails the invocation
    /// then.
    func poll() {
        if let current, let deadline, ContinuousClock.now >= deadline {
            timedOut(current.requestID)
            return
        }
        guard let exit = child?.reap() else { return }
        let outcome: InvocationOutcome =
            initDuration == nil
            ? .initError(
                type: "Runtime.ExitError",
                document: InvocationOutcome.document(
                    type: "Runtime.ExitError",
                    message: "Runtime exited before initialisation finished: \(exit.description)"))
            : .exited(exit.description)
        if initDuration == nil, initError == nil { initError = outcome }
        finish(outcome)
        wakeReadyWaiters()
    }

    /// Waits until the process asks for its first invocation (or fails to start).
    func waitUntilReady() async {
        if initDuration != nil || initError != nil || child?.reap() != nil { return }
        await withCheckedContinuation { readyWaiters.append($0) }
    }

    /// SIGTERM, then SIGKILL after `grace`; ends the endpoint. Returns how the process ended.
    @discardableResult
    func stop(grace: Duration = .seconds(2)) async -> Subprocess.Exit? {
        stopping = true
        waitingForNext?.resume(returning: nil)
        waitingForNext = nil
        if let child { await child.terminate(grace: grace) }
        finish(.exited(child?.reap()?.description ?? "stopped"))
        serverTask?.cancel()
        return child?.reap()
    }

    private func timedOut(_ requestID: String) {
        guard current?.requestID == requestID else { return }
        logger.warning(
            "invocation timed out; killing the process",
            metadata: ["function": .string(spec.name), "request_id": .string(requestID)])
        child?.signal(SIGKILL)
        stopping = true
        finish(.timeout(seconds: spec.timeoutSeconds))
    }

    private func finish(_ outcome: InvocationOutcome) {
        guard let current else { return }
        self.current = nil
        handedOut = nil
        current.continuation.resume(returning: outcome)
    }

    private func wakeReadyWaiters() {
        for waiter in readyWaiters { waiter.resume() }
        readyWaiters.removeAll()
    }

    // MARK: - the Runtime API, seen from the process

    private func next() async -> Pending? {
        if initDuration == nil {
            initDuration = ContinuousClock.now - spawnedAt
            wakeReadyWaiters()
        }
        if stopping { return nil }
        if let pending = handedOut {
            handedOut = nil
            return pending
        }
        return await withCheckedContinuation { waitingForNext = $0 }
    }

    private func respond(_ requestID: String, _ outcome: InvocationOutcome) -> Bool {
        guard current?.requestID == requestID else { return false }
        // The function's harness reports its own deadline at the same moment as our timer: either way it is a
        // timeout, and the process (whose handler may still be running) is replaced, as Lambda resets a sandbox.
        if case .functionError(let type, _) = outcome, type == "Sandbox.Timedout" {
            child?.signal(SIGKILL)
            stopping = true
            finish(.timeout(seconds: spec.timeoutSeconds))
            return true
        }
        finish(outcome)
        return true
    }

    private func failInitialization(type: String, document: [UInt8]) {
        let outcome = InvocationOutcome.initError(type: type, document: document)
        initError = outcome
        finish(outcome)
        wakeReadyWaiters()
    }

    nonisolated private func router() -> Router<BasicRequestContext> {
        let router = Router()
        let base = "/2018-06-01/runtime"
        let limit = 6 * 1024 * 1024 + 1024
        router.get("\(base)/invocation/next") { _, _ -> Response in
            guard let pending = await self.next() else { return Response(status: .gone) }
            var headers = HTTPFields()
            headers[.init("Lambda-Runtime-Aws-Request-Id")!] = pending.requestID
            headers[.init("Lambda-Runtime-Deadline-Ms")!] = String(pending.deadlineMilliseconds)
            headers[.init("Lambda-Runtime-Invoked-Function-Arn")!] = self.spec.arn
            if let traceID = pending.traceID { headers[.init("Lambda-Runtime-Trace-Id")!] = traceID }
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: pending.payload)))
        }
        router.post("\(base)/invocation/:id/response") { request, context -> Response in
            let id = context.parameters.get("id") ?? ""
            guard let body = try? await request.body.collect(upTo: limit) else {
                let document = InvocationOutcome.document(
                    type: "Function.ResponseSizeTooLarge",
                    message: "Response payload size exceeded maximum allowed payload size (6291556 bytes).")
                _ = await self.respond(id, .functionError(type: "Function.ResponseSizeTooLarge", document: document))
                return Response(status: .contentTooLarge)
            }
            guard await self.respond(id, .response(Array(buffer: body))) else { return Self.invalidRequestID() }
            return Response(status: .accepted, body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"OK\"}")))
        }
        router.post("\(base)/invocation/:id/error") { request, context -> Response in
            let id = context.parameters.get("id") ?? ""
            let body = (try? await request.body.collect(upTo: limit)).map { Array(buffer: $0) } ?? []
            let type = request.headers[.init("Lambda-Runtime-Function-Error-Type")!] ?? "Unhandled"
            guard await self.respond(id, .functionError(type: type, document: body)) else {
                return Self.invalidRequestID()
            }
            return Response(status: .accepted, body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"OK\"}")))
        }
        router.post("\(base)/init/error") { request, _ -> Response in
            let body = (try? await request.body.collect(upTo: limit)).map { Array(buffer: $0) } ?? []
            let type = request.headers[.init("Lambda-Runtime-Function-Error-Type")!] ?? "Runtime.InitError"
            await self.failInitialization(type: type, document: body)
            return Response(status: .accepted, body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"OK\"}")))
        }
        return router
    }

    nonisolated private static func invalidRequestID() -> Response {
        Response(
            status: .badRequest,
            body: .init(
                byteBuffer: ByteBuffer(string: #"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#)
            ))
    }
}

/// A fault of the runtime itself (not of a function).
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
