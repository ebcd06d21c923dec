import Foundation

/// The server is draining before a restart (SIGTERM): the machine decides what that means for its session.
extension InterviewStateMachine {
    /// The server drains until `deadlineMs` (monotonic). A connection with no session yet is told to connect again
    /// elsewhere and closed (1001, going away); a live interview carries on and ends as `server_restarting`
    /// when the deadline comes (`timerFired`), unless it ends on its own first. A session waiting for resume keeps the
    /// deadline too, for when it is resumed on this node.
    public mutating func serverDraining(until deadlineMs: Int64, at now: ClockReading) -> [InterviewAction] {
        if isLive {
            drainDeadlineMs = min(drainDeadlineMs ?? deadlineMs, deadlineMs)
            nextDeadlineMs = min(nextDeadlineMs ?? deadlineMs, deadlineMs)
            return drainTimeReached(at: now) ?? []
        }
        if isSuspended {
            drainDeadlineMs = min(drainDeadlineMs ?? deadlineMs, deadlineMs)  // timers start again with the resume
            return []
        }
        guard !isFinished else { return [] }
        closeBeforeStart()  // still waiting for session.start or session.resume
        return [.send(.error(ProtocolError(.serverDraining,
                                           "This server is restarting and starts no new interviews; connect again to be sent to another one.",
                                           fatal: true))),
                .close(code: 1001, reason: "server restarting")]
    }

    /// The drain's deadline has come for a live session: it ends as `server_restarting` (what was said is kept, the
    /// last partial second charged). Nil while there is no deadline or it has not come.
    mutating func drainTimeReached(at now: ClockReading) -> [InterviewAction]? {
        guard isLive, let deadline = drainDeadlineMs, now.monotonicMs >= deadline else { return nil }
        return end(.serverRestarting, at: now)
    }
}
