/// Takes a gateway out of rotation after a burst of processor errors and lets it back in through probes.
///
/// Closed: every outcome is watched; `consecutiveLimit` processor errors in a row, or an error share of at least
/// `errorShare` over the last `window` outcomes (once `window` / 2 are in), open it. Open: the gateway is not offered
/// for `cooldown` decisions. Half-open: it is offered again; its next outcome closes it (success) or opens it again
/// for twice the cooldown, up to `maximumCooldown` (a processor error). Time is the router's decision count, so the
/// breaker behaves the same under a simulator as in production traffic.
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: String, Sendable {
        case closed
        case open
        case halfOpen = "half_open"
    }

    public var consecutiveLimit = 5
    public var window = 20
    public var errorShare = 0.5
    public var cooldown = 200
    public var maximumCooldown = 5_000

    public private(set) var state: State = .closed
    var consecutive = 0
    var recent: [Bool] = []
    var openedAt = 0
    var currentCooldown = 0

    public init() {}

    /// The state at decision `step` (an open breaker whose cooldown has passed is half-open).
    public mutating func state(at step: Int) -> State {
        if state == .open, step - openedAt >= currentCooldown { state = .halfOpen }
        return state
    }

    /// Records an outcome the gateway is responsible for: `processorError` true for its failure, false for success.
    public mutating func record(processorError: Bool, step: Int) {
        switch state(at: step) {
        case .halfOpen:
            if processorError {
                open(at: step, cooldown: min(max(currentCooldown, cooldown) * 2, maximumCooldown))
            } else {
                state = .closed
                consecutive = 0
                recent.removeAll()
                currentCooldown = 0
            }
        case .open:
            return  // outcomes of decisions made before it opened
        case .closed:
            consecutive = processorError ? consecutive + 1 : 0
            recent.append(processorError)
            if recent.count > window { recent.removeFirst(recent.count - window) }
            let errors = recent.lazy.filter { $0 }.count
            if consecutive >= consecutiveLimit
                || (recent.count >= window / 2 && Double(errors) / Double(recent.count) >= errorShare)
            {
                open(at: step, cooldown: cooldown)
            }
        }
    }

    mutating func open(at step: Int, cooldown: Int) {
        state = .open
        openedAt = step
        currentCooldown = cooldown
        consecutive = 0
        recent.removeAll()
    }
}
