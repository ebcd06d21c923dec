import Foundation

/// A wall clock the test steps by hand: token expiry and rate limits are tested without sleeping.
public final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date = Date()) { current = start }

    public var now: Date { lock.withLock { current } }

    public func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}
