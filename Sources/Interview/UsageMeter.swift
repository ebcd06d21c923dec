/// Measures live interview time on a monotonic clock, for billing.
///
/// Invariant: `settledMs + unsettled(at:)` is the whole metered time; time while stopped is never counted.
public struct UsageMeter: Sendable, Equatable {
    private var runningSince: Int64?
    private var accumulatedUnsettledMs: Int64 = 0
    /// Milliseconds already handed out for settlement.
    public private(set) var settledMs: Int64 = 0

    public init() {}

    public var isRunning: Bool { runningSince != nil }

    /// Since when the meter has been running (monotonic ms), nil while stopped.
    public var runningSinceMs: Int64? { runningSince }

    public mutating func start(at monotonicMs: Int64) {
        guard runningSince == nil else { return }
        runningSince = monotonicMs
    }

    public mutating func stop(at monotonicMs: Int64) {
        guard let since = runningSince else { return }
        accumulatedUnsettledMs += max(0, monotonicMs - since)
        runningSince = nil
    }

    /// Metered milliseconds not yet settled.
    public func unsettled(at monotonicMs: Int64) -> Int64 {
        accumulatedUnsettledMs + (runningSince.map { max(0, monotonicMs - $0) } ?? 0)
    }

    /// Hands out the unsettled time and starts counting afresh from `monotonicMs`.
    public mutating func takeUnsettled(at monotonicMs: Int64) -> Int64 {
        let amount = unsettled(at: monotonicMs)
        accumulatedUnsettledMs = 0
        if runningSince != nil { runningSince = monotonicMs }
        settledMs += amount
        return amount
    }

    /// Everything metered so far, settled or not.
    public func total(at monotonicMs: Int64) -> Int64 { settledMs + unsettled(at: monotonicMs) }
}
