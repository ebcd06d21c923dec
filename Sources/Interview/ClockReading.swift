import Foundation

/// A moment as the driver saw it: a monotonic reading for durations and metering, and the wall time for records.
///
/// The core never reads a clock itself; every input carries one of these.
public struct ClockReading: Sendable, Equatable {
    /// Milliseconds on a monotonic clock (never jumps backwards; unrelated to the calendar).
    public var monotonicMs: Int64
    /// Wall-clock time, only ever stored or shown, never used for durations.
    public var wall: Date

    public init(monotonicMs: Int64, wall: Date) {
        self.monotonicMs = monotonicMs
        self.wall = wall
    }

    /// The reading `ms` milliseconds later.
    public func advanced(byMs ms: Int64) -> ClockReading {
        ClockReading(monotonicMs: monotonicMs + ms, wall: wall.addingTimeInterval(Double(ms) / 1000))
    }
}
