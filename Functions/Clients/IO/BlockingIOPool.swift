#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A small pool of dedicated OS threads for blocking C calls (hiredis, libcurl), so that a slow server never
/// starves Swift's cooperative thread pool. Threads start on demand up to `maximumThreads` and then stay.
///
/// `@unchecked Sendable`: every mutable field is read and written only with `mutex` held.
public final class BlockingIOPool: @unchecked Sendable {
    // Heap-allocated: pthread objects must not move, and a Swift stored property has no stable address.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [() -> Void] = []
    private var head = 0
    private var threads = 0
    private var idle = 0
    public let maximumThreads: Int
    public let name: String

    /// - Parameters:
    ///   - maximumThreads: the most blocking calls in flight at once; further calls wait their turn.
    ///   - name: what the pool is for, for diagnostics.
    public init(maximumThreads: Int, name: String) {
        precondition(maximumThreads > 0, "a pool needs at least one thread")
        self.maximumThreads = maximumThreads
        self.name = name
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init failed")
        precondition(pthread_cond_init(condition, nil) == 0, "pthread_cond_init failed")
    }

    // Worker threads hold a strong reference to the pool, so a pool with threads lives as long as the process.

    /// A process-wide pool for clients that do not bring their own.
    public static let shared = BlockingIOPool(maximumThreads: 64, name: "smartpay-io")

    /// Runs a blocking `body` on one of the pool's threads and returns its result to the awaiting task.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            submit {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    private func submit(_ job: @escaping () -> Void) {
        pthread_mutex_lock(mutex)
        jobs.append(job)
        let startThread = jobs.count - head > idle && threads < maximumThreads
        if startThread { threads += 1 }
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
        if startThread { startWorker() }
    }

    private func startWorker() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { argument in
                let pool = Unmanaged<BlockingIOPool>.fromOpaque(argument!).takeRetainedValue()
                pool.workLoop()
                return nil
            }, box)
        precondition(result == 0, "pthread_create failed with \(result)")
        pthread_detach(thread)
    }

    private func workLoop() {
        while true {
            pthread_mutex_lock(mutex)
            while head == jobs.count {
                idle += 1
                pthread_cond_wait(condition, mutex)
                idle -= 1
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            pthread_mutex_unlock(mutex)
            job()
        }
    }
}
