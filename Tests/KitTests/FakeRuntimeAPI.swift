import Foundation
import Hummingbird
import TestSupport

/// A Lambda Runtime API server for tests, following AWS's documented contract (2018-06-01): `GET …/invocation/next`
/// long-polls and hands out queued invocations with their headers; `POST …/{id}/response`, `…/{id}/error` and
/// `…/init/error` answer 202 and are recorded with the error-type header.
actor FakeRuntimeAPI {
    struct Pending: Sendable {
        let id: String
        let payload: Data
        let deadlineMilliseconds: Int64
        let traceID: String?
    }

    struct Outcome: Sendable, Equatable {
        enum Kind: Sendable { case response, error, initError }
        let kind: Kind
        let body: Data
        let errorType: String?
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
        static func == (a: Outcome, b: Outcome) -> Bool {
            a.kind == b.kind && a.body == b.body && a.errorType == b.errorType
        }
    }

    private var queue: [Pending] = []
    private var nextWaiters: [CheckedContinuation<Pending?, Never>] = []
    private var outcomes: [String: Outcome] = [:]
    private var outcomeWaiters: [String: [CheckedContinuation<Outcome, Never>]] = [:]
    private var closed = false
    private(set) var nextCalls = 0

    /// Queues an invocation and returns its request id.
    @discardableResult
    func enqueue(_ payload: Data, timeout: Duration = .seconds(10), traceID: String? = nil) -> String {
        let id = UUID().uuidString.lowercased()
        let (seconds, attoseconds) = timeout.components
        let deadline = Int64(Date().timeIntervalSince1970 * 1000) + seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let pending = Pending(id: id, payload: payload, deadlineMilliseconds: deadline, traceID: traceID)
        if !nextWaiters.isEmpty {
            nextWaiters.removeFirst().resume(returning: pending)
        } else {
            queue.append(pending)
        }
        return id
    }

    func next() async -> Pending? {
        nextCalls += 1
        if closed { return nil }
        if !queue.isEmpty { return queue.removeFirst() }
        return await withCheckedContinuation { nextWaiters.append($0) }
    }

    func record(_ id: String, _ outcome: Outcome) {
        outcomes[id] = outcome
        for waiter in outcomeWaiters.removeValue(forKey: id) ?? [] { waiter.resume(returning: outcome) }
    }

    /// Waits for the outcome of invocation `id` (the init error is recorded under "init").
    func outcome(_ id: String) async -> Outcome {
        if let outcome = outcomes[id] { return outcome }
        return await withCheckedContinuation { outcomeWaiters[id, default: []].append($0) }
    }

    func recorded(_ id: String) -> Outcome? { outcomes[id] }

    /// Ends every long poll so that the server can shut down.
    func close() {
        closed = true
        for waiter in nextWaiters { waiter.resume(returning: nil) }
        nextWaiters.removeAll()
    }

    nonisolated func router() -> Router<BasicRequestContext> {
        let router = Router()
        let base = "/2018-06-01/runtime"
        router.get("\(base)/invocation/next") { _, _ in
            guard let pending = await self.next() else {
                return Response(status: .gone)
            }
            var headers = HTTPFields()
            headers[.init("Lambda-Runtime-Aws-Request-Id")!] = pending.id
            headers[.init("Lambda-Runtime-Deadline-Ms")!] = String(pending.deadlineMilliseconds)
            headers[.init("Lambda-Runtime-Invoked-Function-Arn")!] =
                "arn:aws:lambda:us-east-1:000000000000:function:split"
            if let traceID = pending.traceID { headers[.init("Lambda-Runtime-Trace-Id")!] = traceID }
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: pending.payload)))
        }
        router.post("\(base)/invocation/:id/response") { request, context in
            let body = try await request.body.collect(upTo: 16 * 1024 * 1024)
            let id = context.parameters.get("id") ?? ""
            await self.record(id, Outcome(kind: .response, body: Data(buffer: body), errorType: nil))
            return Response(status: .accepted)
        }
        router.post("\(base)/invocation/:id/error") { request, context in
            let body = try await request.body.collect(upTo: 1024 * 1024)
            let id = context.parameters.get("id") ?? ""
            let type = request.headers[.init("Lambda-Runtime-Function-Error-Type")!]
            await self.record(id, Outcome(kind: .error, body: Data(buffer: body), errorType: type))
            return Response(status: .accepted)
        }
        router.post("\(base)/init/error") { request, _ in
            let body = try await request.body.collect(upTo: 1024 * 1024)
            let type = request.headers[.init("Lambda-Runtime-Function-Error-Type")!]
            await self.record("init", Outcome(kind: .initError, body: Data(buffer: body), errorType: type))
            return Response(status: .accepted)
        }
        return router
    }
}

extension FakeRuntimeAPI {
    /// Serves the fake on a free port and runs `body` with a started function process pointed at it.
    static func withFunction(
        environment extra: [String: String] = [:],
        _ body: @Sendable (FakeRuntimeAPI, ChildProcess) async throws -> Void
    ) async throws {
        let api = FakeRuntimeAPI()
        try await LiveHTTPServer.with(api.router()) { port in
            var environment = ProcessInfo.processInfo.environment
            environment["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(port)"
            environment["AWS_LAMBDA_FUNCTION_NAME"] = "split"
            for (key, value) in extra { environment[key] = value }
            let child = try ChildProcess(try Executables.built("split"), environment: environment)
            do {
                try await body(api, child)
            } catch {
                child.stop()
                await api.close()
                throw error
            }
            child.stop()
            await api.close()
        }
    }
}

/// Waits for `operation` with a bound, so a broken harness fails the test instead of hanging it.
func within<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { await operation() }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw TestSupportError("no result within \(limit)")
        }
        group.cancelAll()
        return value
    }
}
