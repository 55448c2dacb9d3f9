extension Duration {
    /// The whole milliseconds in the duration (truncated), as timeouts, TTLs and latencies are written.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
