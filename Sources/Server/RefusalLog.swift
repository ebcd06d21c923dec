import Logging

/// Logs that a limit refused something, once a minute per limit with the count since the last line: a client
/// hammering a limit must not flood the log. Service thread only.
struct RefusalLog {
    private var lastLoggedMs: [String: Int64] = [:]
    private var unloggedCounts: [String: Int] = [:]

    mutating func note(_ limit: String, logger: Logger, at nowMs: Int64) {
        unloggedCounts[limit, default: 0] += 1
        if let last = lastLoggedMs[limit], nowMs - last < 60_000 { return }
        logger.notice("a limit refused a client", metadata: ["limit": "\(limit)", "refusals": "\(unloggedCounts[limit] ?? 1)"])
        lastLoggedMs[limit] = nowMs
        unloggedCounts[limit] = 0
    }
}
