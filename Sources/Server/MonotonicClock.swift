import Dispatch
import Foundation
import Interview

/// The one place the server reads the time for the core, unless a test injects another clock.
public enum MonotonicClock {
    @Sendable public static func now() -> ClockReading {
        ClockReading(monotonicMs: Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000), wall: Date())
    }
}
