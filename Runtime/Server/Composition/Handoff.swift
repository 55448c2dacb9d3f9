import Synchronization

/// A value one part of `smartpay serve` makes as it starts and others wait for (the Redis URL, the platform, a
/// port): how the service group's parts, which it runs side by side, start in order. Settled once; a failure
/// reaches every waiter, so a part whose dependency failed fails with the same error instead of waiting forever.
final class Handoff<Value: Sendable>: Sendable {
    private struct State {
        var result: Result<Value, any Error>?
        var waiters: [Int: CheckedContinuation<Value, any Error>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    init() {}

    func succeed(_ value: Value) { settle(.success(value)) }

    func fail(_ error: any Error) { settle(.failure(error)) }

    /// Makes the value with `make` and hands it over, or hands over its error (and rethrows it).
    @discardableResult
    func produce(_ make: () async throws -> Value) async throws -> Value {
        do {
            let value = try await make()
            succeed(value)
            return value
        } catch {
            fail(error)
            throw error
        }
    }

    /// The value once made; throws its maker's error, or `CancellationError` when the waiting task is cancelled.
    var value: Value {
        get async throws {
            let id = state.withLock { state in
                defer { state.nextWaiter += 1 }
                return state.nextWaiter
            }
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let settled = state.withLock { state -> Result<Value, any Error>? in
                        if let result = state.result { return result }
                        if Task.isCancelled { return .failure(CancellationError()) }
                        state.waiters[id] = continuation
                        return nil
                    }
                    if let settled { continuation.resume(with: settled) }
                }
            } onCancel: {
                state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
            }
        }
    }

    private func settle(_ result: Result<Value, any Error>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, any Error>] in
            guard state.result == nil else { return [] }
            state.result = result
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(with: result) }
    }
}
