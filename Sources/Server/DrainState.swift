import Foundation

/// Whether this node is draining (after SIGTERM) and until when, shared by every thread: the service loops refuse new
/// interviews while it is set, `GET /v1/ready` reports it so a load balancer stops sending new clients, and the
/// engine waits here until no thread serves a live interview any more.
public final class DrainState: @unchecked Sendable {
    private let condition = NSCondition()
    private var deadline: Int64?
    /// Service threads (by index) that had no live interview when they last looked.
    private var idleThreads: Set<Int> = []

    public init() {}

    /// The monotonic time (ms) by which live interviews must end; nil while the node is not draining.
    public var deadlineMs: Int64? { condition.withLock { deadline } }
    public var isDraining: Bool { deadlineMs != nil }

    /// Starts draining; false when it had started already (the first deadline stands).
    func begin(deadlineMs: Int64) -> Bool {
        condition.withLock {
            guard deadline == nil else { return false }
            deadline = deadlineMs
            return true
        }
    }

    /// A service thread reports whether it still serves a live interview.
    func thread(_ index: Int, isIdle: Bool) {
        condition.withLock {
            if isIdle { idleThreads.insert(index) } else { idleThreads.remove(index) }
            condition.broadcast()
        }
    }

    /// Blocks until all `threads` are idle, `limit` passes, or `keepWaiting` turns false (checked every 200 ms).
    /// True when every thread is idle.
    func waitUntilIdle(threads: Int, limit: Date, keepWaiting: () -> Bool) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while idleThreads.count < threads {
            guard Date() < limit, keepWaiting() else { return false }
            _ = condition.wait(until: min(limit, Date().addingTimeInterval(0.2)))
        }
        return true
    }
}
