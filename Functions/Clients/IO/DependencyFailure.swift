/// A failure of a service the code depends on — Redis, a server across HTTP — rather than of the request or of the
/// code itself: the service could not be reached or did not answer in time, so the same call may succeed later.
///
/// The clients' errors conform (`RedisError`, `HTTPClientError`), so the function harness answers any of them as
/// `unavailable` (HTTP 503, retryable) reading "{dependency} is unavailable: {error}", without a wrapper at each call.
public protocol DependencyFailure: Error, CustomStringConvertible {
    /// The service, as a message names it: "Redis", "an HTTP service".
    var dependency: String { get }
}
