import Foundation
import Interview
import Server

/// The engine's monotonic clock for a test: the real one plus an offset the test moves forward. The engine's timers
/// still fire in real time; a step makes the engine see that much time pass at once, so a test of what happens
/// after 50 s of silence takes a second.
final class SteppedClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offsetMs: Int64 = 0

    func advance(_ seconds: Double) { lock.withLock { offsetMs += Int64(seconds * 1_000) } }

    @Sendable func now() -> ClockReading {
        let offsetMs = lock.withLock { self.offsetMs }
        let real = MonotonicClock.now()
        return ClockReading(monotonicMs: real.monotonicMs + offsetMs, wall: real.wall.addingTimeInterval(Double(offsetMs) / 1_000))
    }
}
