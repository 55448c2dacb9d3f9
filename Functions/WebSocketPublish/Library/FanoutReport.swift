/// What became of one event's fan-out: `{"recipients", "delivered", "stale", "failed"}` — the connections it was
/// for, those that took it, those gone (410, now forgotten) and those that failed (counted, not retried).
public struct FanoutReport: Encodable, Sendable, Equatable {
    public var recipients = 0
    public var delivered = 0
    public var stale = 0
    public var failed = 0

    public init() {}
}
