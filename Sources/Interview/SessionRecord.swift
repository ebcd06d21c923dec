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
    /// The model's grade replaces the rules' score of an answer already recorded (`score.rules` keeps theirs).
    case answerRescored(sessionID: String, questionID: String, score: AnswerScore)
    /// The ended session's report, now with the model's written summary and things to practise.
    case reportWritten(sessionID: String, report: SessionReport)
}

/// One thing the driver must do, in order.
public enum InterviewAction: Sendable, Equatable {
    case send(ServerMessage)
    case record(SessionRecord)
    /// Charge this many metered milliseconds now (the final settlement when a session ends).
    case settleUsage(sessionID: String, ms: Int64)
    /// Close the WebSocket with this status code (1000 normal) after the queued messages are sent.
    case close(code: UInt16, reason: String)
    /// Requests the driver answers with an input:
    /// Look up what the session needs (a fresh id, the track's plan, the balance, a resume token) and answer with
    /// `start(…)`, or with `startRefused(…)` when it cannot start (the account's session limit, a failed read).
    case requestSessionContext(SessionStartRequest, requestID: String?)
    /// Find the parked session `sessionID` for this account, check `resumeToken`, and answer by handing its
    /// machine `clientResumed(…)` on this connection, or with `resumeRefused(…)`.
    case requestResume(sessionID: String, resumeToken: String, requestID: String?)
    /// Pass this accepted audio frame on: to the recording, the voice activity detector and the speech buffer.
    case forwardAudio(Data)
    /// Send the buffered stretch of speech, spoken to `questionID`, to the engine's transcriber; answer with
    /// `serverTranscriptionFinished(…, final:)`. `final`: the stretch has ended (send it and start a new one);
    /// otherwise an interim look at the stretch still running (keep buffering), which the driver may decline at once
    /// (nil) when its transcriber is busy.
    case transcribe(questionID: String, final: Bool)
    /// Keep this suspended session (the machine, its detector and recording) for `clientResumed` within the grace
    /// period, then `clientClosed`.
    case park(sessionID: String)
    /// Have the session's model word this follow-up, off the service thread, and run the output checks on it;
    /// answer with `followUpWordingStarted` at the first token and `followUpWordingFinished` at the end.
    case requestFollowUpWording(FollowUpWordingRequest)
    /// The model's answer to this request is no longer wanted (the budget ran out, the candidate spoke, the
    /// session ended): stop it and free its place.
    case cancelModelRequest(requestID: Int)
    /// Have the session's model grade this answer, off the service thread; answer with `answerGraded(…)`.
    case requestAnswerGrade(AnswerGradeRequest)
    /// The session is over: have its model write the report's summary and things to practise, check them, and store
    /// them with the report (`reportWritten`); `reportWritingFinished` comes back while the connection is open.
    case requestReportWriting(ReportWritingRequest)
}
