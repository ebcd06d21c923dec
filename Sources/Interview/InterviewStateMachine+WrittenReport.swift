/// The model's written report after `session.ended`: the rules' report has gone out at once, and the connection
/// stays open for `report.written` until the report comes or the wait (`ModelInterviewer.reportWaitMs`) is over.
extension InterviewStateMachine {
    /// The model's summary and three things to practise (checked by the driver), or nil when it failed or was
    /// rejected: sent as `report.written`, then the connection closes. Nothing once the wait is over.
    public mutating func reportWritingFinished(_ written: WrittenReport?, at now: ClockReading) -> [InterviewAction] {
        guard let wait = writtenReportWait else { return [] }
        writtenReportWait = nil
        nextDeadlineMs = nil
        return [.send(.reportWritten(written)), .close(code: 1000, reason: wait.reason.rawValue)]
    }

    /// The wait is over with no report: the client is told there is none for now, and the connection closes.
    mutating func writtenReportWaitReached(at now: ClockReading) -> [InterviewAction]? {
        guard let wait = writtenReportWait, now.monotonicMs >= wait.deadlineMs else { return nil }
        return reportWritingFinished(nil, at: now)
    }
}
