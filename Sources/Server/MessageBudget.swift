/// A token bucket on the monotonic clock: how many messages one connection may send. Service thread only.
///
/// Pure arithmetic on milliseconds it is given, so tests step the time instead of sleeping.
struct MessageBudget {
    let limit: RateLimit
    private var tokens: Double
    private var countedAtMs: Int64?
    /// When the last refusal was reported to the client: at most one `rate_limited` error a second.
    private var lastReportMs: Int64?

    init(_ limit: RateLimit) {
        self.limit = limit
        tokens = Double(limit.burst)
    }

    enum Verdict: Equatable {
        case allowed
        /// Over the limit: drop the message; `report` is true at most once a second.
        case refused(report: Bool)
    }

    mutating func take(at nowMs: Int64) -> Verdict {
        guard limit != .unlimited else { return .allowed }
        let perMs = Double(limit.burst) / max(limit.period * 1000, 1)
        let elapsed = Double(max(0, nowMs - (countedAtMs ?? nowMs)))
        tokens = min(Double(limit.burst), tokens + elapsed * perMs)
        countedAtMs = nowMs
        if tokens >= 1 {
            tokens -= 1
            return .allowed
        }
        if let last = lastReportMs, nowMs - last < 1_000 { return .refused(report: false) }
        lastReportMs = nowMs
        return .refused(report: true)
    }
}
