import Foundation
import Interview

/// The promises `InterviewStateMachine` keeps whatever a client sends and whenever it sends it.
public enum Invariant: String, Sendable, CaseIterable {
    /// Each input yields at most `maxActionsPerInput` actions and at most `outputLimit(inputBytes:)` bytes of sent
    /// messages: a client cannot make the engine talk much more than it was talked to.
    case boundedOutput
    /// Every balance and remaining time the machine reports is zero or more.
    case balanceNeverNegative
    /// The machine never charges more time than the balance it was given (at the start, plus minutes granted while
    /// the session ran).
    case usageWithinBalance
    /// A session that started ends with exactly one `sessionEnded` record, with the reason the client is told
    /// (no message when the client is gone: a `disconnected` end, or an interview that completed as its
    /// connection dropped) and one close; a session that never started records
    /// no end, and its connection closes only right after a fatal error.
    case oneEndPerSession
    /// After the end nothing is charged, asked, recorded or measured: only errors answer late messages.
    case quietAfterEnd
    /// Errors answer client messages only, and carry the `id` of the message they answer; the one exception is the
    /// server's own notice (a drain), which may only send a fatal error without an id.
    case errorsEchoRequestID
    /// The machine's model requests never leak: at most one follow-up wording is out at a time, it cancels only
    /// requests still out, a question worded by the model goes out only in the step its wording came (or again on
    /// a resume), and once the connection is closed every wording and grade it asked for was answered or
    /// cancelled. The written report is asked for once, as the session ends, and `report.written` goes out at most
    /// once, after a `session.ended` that promised it, with the close.
    case modelRequestsEnd
}

/// An invariant broken at one step of a run.
public struct InvariantViolation: Sendable, Equatable, CustomStringConvertible {
    public var invariant: Invariant
    /// The index of the input in the scenario (`inputs.count` for the final close).
    public var step: Int
    public var detail: String

    public var description: String { "\(invariant.rawValue) at input \(step): \(detail)" }
}

/// Checks a run's steps against every `Invariant`.
public enum InterviewInvariants {
    public static let maxActionsPerInput = 32

    /// Room for the largest event the machine composes on its own (`session.ended` with its report), plus every
    /// client byte echoed back JSON-escaped (at most 6 bytes for one, as `\u0001`).
    public static func outputLimit(inputBytes: Int) -> Int { 16_384 + 6 * inputBytes }

    public static func violations(in steps: [FuzzStep]) -> [InvariantViolation] {
        var found: [InvariantViolation] = []
        func fail(_ invariant: Invariant, _ step: FuzzStep, _ detail: String) {
            found.append(InvariantViolation(invariant: invariant, step: step.index, detail: detail))
        }
        var startedSession: String?
        /// `clientGone`: the end came with the connection's drop or close, so nobody is told.
        var ends: [(reason: SessionEndReason, step: Int, clientGone: Bool)] = []
        var endedMessages: [SessionEndReason] = []
        var closes = 0
        /// Closes of a connection without a session, in the same step as a fatal error.
        var fatalCloses = 0
        var given: Int64 = 0
        var charged: Int64 = 0
        var overchargeReported = false
        /// Model requests out (asked, neither answered nor cancelled), and which of them are wordings.
        var modelOut: Set<Int> = []
        var wordingsMade: Set<Int> = []
        /// Questions the model worded: a resume asks the open one again.
        var wordedQuestions: Set<String> = []
        var reportRequests = 0
        /// `session.ended` said a written report follows, and `report.written` has not gone out yet.
        var writtenReportPending = false
        var writtenReportsSent = 0

        for step in steps {
            let sent = step.actions.compactMap { if case .send(let message) = $0 { message } else { nil } }

            if step.actions.count > maxActionsPerInput {
                fail(.boundedOutput, step, "\(step.actions.count) actions for \(step.input)")
            }
            let bytes = sent.reduce(0) { $0 + $1.encoded().count }
            if bytes > outputLimit(inputBytes: step.inputBytes) {
                fail(.boundedOutput, step, "\(bytes) bytes sent for \(step.inputBytes) bytes received (\(step.input))")
            }

            for message in sent {
                if let negative = negativeAmount(in: message) {
                    fail(.balanceNeverNegative, step, "\(message.type) reports \(negative)")
                }
            }

            for error in sent.compactMap({ if case .error(let error) = $0 { error } else { nil } }) {
                switch step.replyTo {
                case .nobody:
                    fail(.errorsEchoRequestID, step, "error \(error.code.rawValue) without a client message (\(step.input))")
                case .request(let id) where error.requestID != id:
                    fail(.errorsEchoRequestID, step,
                         "error \(error.code.rawValue) carries id \(error.requestID.debugDescription), the message had \(id.debugDescription)")
                case .server where error.requestID != nil || !error.fatal:
                    fail(.errorsEchoRequestID, step, "the server's own error \(error.code.rawValue) must be fatal and answer no id")
                case .request, .unknownID, .server:
                    break
                }
            }
            if startedSession == nil, step.actions.contains(where: { if case .close = $0 { true } else { false } }),
               sent.contains(where: { if case .error(let error) = $0 { error.fatal } else { false } }) {
                fatalCloses += 1
            }

            // An answer to a request the machine gave up on is ignored; one still out is no longer out.
            let answered = step.modelAnswered.map { modelOut.remove($0) != nil } ?? false
            let reportWasPending = writtenReportPending
            let endedBefore = !ends.isEmpty
            var endedInStep = false
            func checkModel(_ action: InterviewAction) {
                switch action {
                case .requestFollowUpWording(let request):
                    if !modelOut.intersection(wordingsMade).isEmpty {
                        fail(.modelRequestsEnd, step, "wording \(request.requestID) asked while \(modelOut.intersection(wordingsMade).sorted()) is out")
                    }
                    modelOut.insert(request.requestID)
                    wordingsMade.insert(request.requestID)
                case .requestAnswerGrade(let request):
                    modelOut.insert(request.requestID)
                case .cancelModelRequest(let requestID):
                    if modelOut.remove(requestID) == nil {
                        fail(.modelRequestsEnd, step, "cancelModelRequest \(requestID), which is not out")
                    }
                case .requestReportWriting:
                    reportRequests += 1
                    if reportRequests > 1 || !endedInStep || endedBefore {
                        fail(.modelRequestsEnd, step, "requestReportWriting other than once, with the end")
                    }
                case .send(.question(let question)) where question.source == .model:
                    defer { wordedQuestions.insert(question.questionID) }
                    if case .resume = step.input, wordedQuestions.contains(question.questionID) { break }
                    // Otherwise only a wording that just came, for a wording still out, is asked.
                    guard case .modelWording(.some) = step.input, answered,
                          let requestID = step.modelAnswered, wordingsMade.contains(requestID) else {
                        fail(.modelRequestsEnd, step, "a model-worded question without its wording (\(step.input))")
                        break
                    }
                default:
                    break
                }
            }

            for action in step.actions {
                if endedBefore || endedInStep,
                   !allowedAfterEnd(action, sameStep: endedInStep && !endedBefore, reportPending: reportWasPending) {
                    fail(.quietAfterEnd, step, "\(describe(action)) after the session ended")
                }
                checkModel(action)
                switch action {
                case .record(.sessionStarted(let sessionID, _, _, _, _)):
                    if startedSession != nil { fail(.oneEndPerSession, step, "a second sessionStarted record") }
                    startedSession = sessionID
                case .record(.sessionEnded(let sessionID, let reason, _, _, _)):
                    if sessionID != startedSession {
                        fail(.oneEndPerSession, step, "sessionEnded for \(sessionID), started: \(startedSession.debugDescription)")
                    }
                    let gone = switch step.input { case .disconnect, .close: true; default: false }
                    ends.append((reason, step.index, gone))
                    endedInStep = true
                case .send(.sessionEnded(let ended)):
                    endedMessages.append(ended.reason)
                    if ended.writtenReportPending == true { writtenReportPending = true }
                case .send(.reportWritten):
                    writtenReportsSent += 1
                    if !reportWasPending || writtenReportsSent > 1 {
                        fail(.modelRequestsEnd, step, "report.written without a session.ended that promised it")
                    }
                    if !step.actions.contains(where: { if case .close = $0 { true } else { false } }) {
                        fail(.modelRequestsEnd, step, "report.written without the close")
                    }
                    writtenReportPending = false
                case .close:
                    closes += 1
                case .settleUsage(_, let ms):
                    charged += ms
                    if ms <= 0 { fail(.usageWithinBalance, step, "settleUsage of \(ms) ms") }
                default:
                    break
                }
            }
            if endedBefore, step.usageTaken > 0 {
                fail(.quietAfterEnd, step, "usageToSettle handed out \(step.usageTaken) ms after the end")
            }

            given += step.balanceGiven
            charged += step.usageTaken
            if charged > given, !overchargeReported {
                overchargeReported = true
                fail(.usageWithinBalance, step, "\(charged) ms charged, \(given) ms given (\(step.input))")
            }
        }

        let last = steps.last.map(\.index) ?? 0
        func failAtEnd(_ invariant: Invariant, _ detail: String) {
            found.append(InvariantViolation(invariant: invariant, step: last, detail: detail))
        }
        switch (startedSession, ends.count) {
        case (nil, 0), (.some, 1): break
        case (nil, let count): failAtEnd(.oneEndPerSession, "\(count) sessionEnded records without a start")
        case (.some, let count): failAtEnd(.oneEndPerSession, "\(count) sessionEnded records once closed")
        }
        if !modelOut.isEmpty {
            failAtEnd(.modelRequestsEnd, "model requests \(modelOut.sorted()) neither answered nor cancelled once closed")
        }
        if let end = ends.first {
            let expectedMessages = end.reason == .disconnected || end.clientGone ? [] : [end.reason]
            // A session.ended that promised the written report closes with report.written, unless the client went
            // first.
            let expectedCloses = writtenReportPending && writtenReportsSent == 0 ? 0 : expectedMessages.count
            if endedMessages != expectedMessages || closes != expectedCloses {
                failAtEnd(.oneEndPerSession, "ended \(end.reason.rawValue) at input \(end.step); session.ended sent: "
                    + "\(endedMessages.map(\.rawValue)), closes: \(closes)")
            }
        } else if !endedMessages.isEmpty || closes > fatalCloses {
            failAtEnd(.oneEndPerSession, "session.ended sent \(endedMessages.count) times and \(closes - fatalCloses) closes without an end record or a fatal error")
        }
        return found
    }

    /// Within the step that ends the session the end is announced, the model asked for the written report and
    /// the connection closed; after it, only errors, and the written report with the close while it is awaited.
    private static func allowedAfterEnd(_ action: InterviewAction, sameStep: Bool, reportPending: Bool) -> Bool {
        switch action {
        case .send(.error): true
        case .send(.sessionEnded), .requestReportWriting: sameStep
        case .close: sameStep || reportPending
        case .send(.reportWritten): reportPending
        default: false
        }
    }

    private static func negativeAmount(in message: ServerMessage) -> Int64? {
        let amounts: [Int64] = switch message {
        case .sessionStarted(let started, _): [started.balanceMs]
        case .sessionResumed(_, let balance, _, _): [balance]
        case .billingUpdated(let update): [update.balanceMs, update.sessionUsedMs]
        case .billingWarning(let remaining): [remaining]
        case .sessionEnded(let ended): [ended.summary.usedMs]
        default: []
        }
        return amounts.first { $0 < 0 }
    }

    private static func describe(_ action: InterviewAction) -> String {
        switch action {
        case .send(let message): "send \(message.type)"
        case .record(let record): "record \(String(describing: record).prefix(60))"
        case .settleUsage(_, let ms): "settleUsage \(ms) ms"
        case .close(let code, _): "close \(code)"
        case .requestSessionContext(let request, _): "requestSessionContext \(request.trackID)"
        case .requestResume(let sessionID, _, _): "requestResume \(sessionID)"
        case .forwardAudio(let frame): "forwardAudio \(frame.count) bytes"
        case .transcribe(let questionID, let final): "transcribe \(questionID)\(final ? "" : " (interim)")"
        case .park(let sessionID): "park \(sessionID)"
        case .requestFollowUpWording(let request): "requestFollowUpWording \(request.requestID)"
        case .cancelModelRequest(let requestID): "cancelModelRequest \(requestID)"
        case .requestAnswerGrade(let request): "requestAnswerGrade \(request.requestID)"
        case .requestReportWriting(let request): "requestReportWriting \(request.sessionID)"
        }
    }
}
