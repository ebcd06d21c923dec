import Foundation

/// One candidate's interview on one connection, as a pure state machine.
///
/// Each input is a `mutating func` that returns the actions the driver must run, in order. The machine never reads
/// a clock, a file, a socket or the database: time arrives as a `ClockReading`, and persistence, sending, billing
/// and closing leave as `InterviewAction`s. Unexpected input in any state becomes an `error` event, never a crash.
public struct InterviewStateMachine: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Live feedback is sent at most this often.
        public var feedbackMinIntervalMs: Int64 = 250
        /// While a question is open, feedback is sent at least this often so the timer keeps moving.
        public var feedbackHeartbeatMs: Int64 = 1_000
        /// `billing.warning` is sent once when the balance falls to this.
        public var billingWarningMs: Int64 = 60_000

        public init() {}
    }

    private enum State {
        case awaitingStart
        case live(LiveSession)
        case ended(SessionEndReason)
    }

    private let settings: Settings
    private var state: State = .awaitingStart

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// The id of the session once started.
    public var sessionID: String? {
        switch state {
        case .live(let session): session.sessionID
        case .awaitingStart, .ended: nil
        }
    }

    /// True until a session has started: only then does `session.start` need a plan and a balance.
    public var isAwaitingStart: Bool {
        if case .awaitingStart = state { return true }
        return false
    }

    public var isLive: Bool {
        if case .live = state { return true }
        return false
    }

    public var endReason: SessionEndReason? {
        if case .ended(let reason) = state { return reason }
        return nil
    }

    // MARK: Inputs

    /// The client asked to start. The driver has looked up the track's plan (nil when unknown) and the balance.
    public mutating func start(_ request: SessionStartRequest, requestID: String?, sessionID: String,
                               plan: (any InterviewPlan)?, balanceMs: Int64, at now: ClockReading) -> [InterviewAction] {
        switch state {
        case .live:
            return [.send(.error(ProtocolError(.sessionAlreadyStarted,
                                               "A session is already running on this connection.", requestID: requestID)))]
        case .ended:
            return [.send(.error(ProtocolError(.wrongState, "This session has ended; open a new connection to start another.",
                                               requestID: requestID)))]
        case .awaitingStart:
            break
        }
        guard let plan, plan.mainQuestionCount > 0 else {
            return [.send(.error(ProtocolError(.unknownTrack,
                                               "There is no track \"\(request.trackID)\"; GET /v1/tracks lists them.",
                                               requestID: requestID)))]
        }
        guard balanceMs > 0 else {
            return [.send(.error(ProtocolError(.insufficientBalance,
                                               "Your minute balance is zero; buy or be granted minutes to start an interview.",
                                               requestID: requestID)))]
        }
        var session = LiveSession(sessionID: sessionID, plan: plan, mode: request.mode, sampleRate: request.sampleRate,
                                  balanceMs: balanceMs, mainQuestion: plan.mainQuestion(at: 0), startedAt: now)
        var actions: [InterviewAction] = [
            .record(.sessionStarted(sessionID: sessionID, trackID: plan.trackID, mode: request.mode,
                                    sampleRate: request.sampleRate, at: now.wall)),
            .send(.sessionStarted(SessionStarted(sessionID: sessionID, protocolVersion: ClientMessageDecoder.protocolVersion,
                                                 trackID: plan.trackID, trackTitle: plan.trackTitle, mode: request.mode,
                                                 sampleRate: request.sampleRate, mainQuestionCount: plan.mainQuestionCount,
                                                 balanceMs: balanceMs), replyTo: requestID)),
        ]
        actions += session.ask(session.mainQuestion, at: now)
        // Metering starts with the first question, not with the connection.
        session.meter.start(at: now.monotonicMs)
        actions.append(.send(.billingUpdated(BillingUpdate(balanceMs: balanceMs, sessionUsedMs: 0))))
        if balanceMs <= settings.billingWarningMs {
            session.warned = true
            actions.append(.send(.billingWarning(remainingMs: balanceMs)))
        }
        state = .live(session)
        return actions
    }

    public mutating func answerTextReceived(_ text: String, requestID: String?, at now: ClockReading) -> [InterviewAction] {
        withLiveSession(requestID: requestID, what: "answer.text") { [settings] session in
            session.answer.typed.append(text)
            session.inputArrived(at: now)
            return session.feedbackIfDue(at: now, settings: settings)
        }
    }

    public mutating func transcriptReceived(_ text: String, isFinal: Bool, requestID: String?,
                                            at now: ClockReading) -> [InterviewAction] {
        withLiveSession(requestID: requestID, what: isFinal ? "transcript.final" : "transcript.partial") { [settings] session in
            if isFinal {
                session.answer.finals.append(text)
                session.answer.partial = ""
            } else {
                session.answer.partial = text
            }
            session.inputArrived(at: now)
            return session.feedbackIfDue(at: now, settings: settings)
        }
    }

    /// A binary frame of `byteCount` bytes of PCM16 audio arrived.
    public mutating func audioReceived(byteCount: Int, at now: ClockReading) -> [InterviewAction] {
        withLiveSession(requestID: nil, what: "Audio") { [settings] session in
            guard session.mode == .voice else {
                return [.send(.error(ProtocolError(.audioNotExpected,
                                                   "This session is in text mode; start it with \"mode\": \"voice\" to send audio.")))]
            }
            guard byteCount % 2 == 0 else {
                return [.send(.error(ProtocolError(.audioOddLength,
                                                   "An audio frame had \(byteCount) bytes; PCM16 frames have an even number of bytes.")))]
            }
            session.answer.audioBytes += Int64(byteCount)
            session.answer.sampleRate = session.sampleRate
            session.inputArrived(at: now)
            return session.feedbackIfDue(at: now, settings: settings)
        }
    }

    public mutating func answerDone(requestID: String?, at now: ClockReading) -> [InterviewAction] {
        var ending: SessionEndReason?
        let actions = withLiveSession(requestID: requestID, what: "answer.done") { session -> [InterviewAction] in
            let (actions, finished) = session.finishAnswer(at: now)
            if finished { ending = .completed }
            return actions
        }
        if let ending { return actions + end(ending, at: now) }
        return actions
    }

    /// The candidate asked to end the session.
    public mutating func endSession(requestID: String?, at now: ClockReading) -> [InterviewAction] {
        guard case .live = state else {
            return wrongState(requestID: requestID, what: "session.end")
        }
        return end(.clientEnded, at: now)
    }

    /// A text frame that could not be decoded.
    public func invalidMessageReceived(_ error: ProtocolError) -> [InterviewAction] {
        [.send(.error(error))]
    }

    /// The driver's periodic timer (a few times a second).
    public mutating func timerFired(at now: ClockReading) -> [InterviewAction] {
        guard case .live(var session) = state else { return [] }
        let actions = session.feedbackIfDue(at: now, settings: settings)
        state = .live(session)
        return actions
    }

    /// Hands out the metered time not yet charged; the driver settles it with the ledger.
    public mutating func usageToSettle(at now: ClockReading) -> Int64 {
        guard case .live(var session) = state else { return 0 }
        let amount = session.meter.takeUnsettled(at: now.monotonicMs)
        state = .live(session)
        return amount
    }

    /// The ledger settled; `balanceMs` is the account's balance now.
    public mutating func balanceUpdated(_ balanceMs: Int64, at now: ClockReading) -> [InterviewAction] {
        guard case .live(var session) = state else { return [] }
        session.balanceMs = balanceMs
        var actions: [InterviewAction] = [
            .send(.billingUpdated(BillingUpdate(balanceMs: balanceMs, sessionUsedMs: session.meter.total(at: now.monotonicMs)))),
        ]
        if balanceMs <= settings.billingWarningMs, !session.warned, balanceMs > 0 {
            session.warned = true
            actions.append(.send(.billingWarning(remainingMs: balanceMs)))
        }
        state = .live(session)
        if balanceMs <= 0 {
            actions += end(.balanceExhausted, at: now)
        }
        return actions
    }

    /// The connection is gone. The session is kept with what was said and the time used up to now.
    public mutating func clientClosed(at now: ClockReading) -> [InterviewAction] {
        guard case .live = state else { return [] }
        return end(.disconnected, at: now)
    }

    // MARK: Helpers

    private mutating func withLiveSession(requestID: String?, what: String,
                                          _ body: (inout LiveSession) -> [InterviewAction]) -> [InterviewAction] {
        guard case .live(var session) = state else {
            return wrongState(requestID: requestID, what: what)
        }
        let actions = body(&session)
        state = .live(session)
        return actions
    }

    private func wrongState(requestID: String?, what: String) -> [InterviewAction] {
        let message = switch state {
        case .awaitingStart: "\(what) is not accepted before session.start."
        case .ended: "\(what) is not accepted: the session has ended."
        case .live: "\(what) is not accepted now."
        }
        return [.send(.error(ProtocolError(.wrongState, message, requestID: requestID)))]
    }

    private mutating func end(_ reason: SessionEndReason, at now: ClockReading) -> [InterviewAction] {
        guard case .live(var session) = state else { return [] }
        var actions: [InterviewAction] = []
        if reason != .completed, session.answer.hasContent {
            actions.append(session.recordAnswer(at: now, complete: false).record)
        }
        session.meter.stop(at: now.monotonicMs)
        let finalUsage = session.meter.takeUnsettled(at: now.monotonicMs)
        if finalUsage > 0 {
            actions.append(.settleUsage(sessionID: session.sessionID, ms: finalUsage))
        }
        let summary = session.summary()
        actions.append(.record(.sessionEnded(sessionID: session.sessionID, reason: reason, summary: summary, at: now.wall)))
        if reason != .disconnected {
            let closing = reason == .completed ? session.plan.closingRemarks(for: summary) : nil
            actions.append(.send(.sessionEnded(SessionEnded(reason: reason, summary: summary, closing: closing))))
            actions.append(.close(code: 1000, reason: reason.rawValue))
        }
        state = .ended(reason)
        return actions
    }
}
