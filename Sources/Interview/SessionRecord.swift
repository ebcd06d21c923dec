import Foundation

/// What the driver must persist. The store applies records of one session in the order they were produced.
public enum SessionRecord: Sendable, Equatable {
    case sessionStarted(sessionID: String, trackID: String, mode: InterviewMode, sampleRate: Int, at: Date)
    case questionAsked(sessionID: String, question: QuestionAsked, at: Date)
    /// `complete` is false for an answer cut short by a disconnect or an early end; only complete answers are scored.
    case answerGiven(sessionID: String, questionID: String, text: String, analysis: AnswerAnalysis, audioMs: Int64,
                     startedAt: Date, endedAt: Date, complete: Bool, score: AnswerScore?)
    /// The answer in progress so far, persisted while it grows so that a crash loses at most a draft interval of it;
    /// `answerGiven` for the same question replaces it.
    case answerDraft(sessionID: String, questionID: String, text: String, audioMs: Int64, startedAt: Date, at: Date)
    case sessionEnded(sessionID: String, reason: SessionEndReason, summary: SessionSummary, report: SessionReport?, at: Date)
}

/// One thing the driver must do, in order.
public enum InterviewAction: Sendable, Equatable {
    case send(ServerMessage)
    case record(SessionRecord)
    /// Charge this many metered milliseconds now (the final settlement when a session ends).
    case settleUsage(sessionID: String, ms: Int64)
    /// Close the WebSocket with this status code (1000 normal) after the queued messages are sent.
    case close(code: UInt16, reason: String)
}
