import Foundation

/// One candidate's interview on one connection, as a pure state machine.
///
/// Each input is a `mutating func` that returns the actions the driver must run, in order. The machine never reads
/// a clock, a file, a socket or the database: time arrives as a `ClockReading`, speech as events from the driver's
/// voice activity detector, and persistence, sending, billing and closing leave as `InterviewAction`s. Unexpected
/// input in any state becomes an `error` event, never a crash.
public struct InterviewStateMachine: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Live feedback is sent at most this often.
        public var feedbackMinIntervalMs: Int64 = 250
        /// While a question is open, feedback is sent at least this often so the timer keeps moving.
        public var feedbackHeartbeatMs: Int64 = 1_000
        /// `billing.warning` is sent once when the balance falls to this.
        public var billingWarningMs: Int64 = 60_000
        /// Silence after a question before a nudge; the session ends as `idle` after `maxNudges + 1` such spells.
        public var nudgeAfterMs: Int64 = 20_000
        public var maxNudges = 2
        /// `answer.time_warning` comes this long before the answer's time limit.
        public var timeWarningBeforeMs: Int64 = 15_000
        /// Audio frames a second, on average since the session's first frame; frames beyond that budget are dropped.
        /// A budget rather than a per-second window, so frames that arrive late in a burst (the network or the
        /// server stalled) are never taken for a flood.
        public var maxAudioFramesPerSecond = 100
        /// Audio may run this far ahead of the wall clock (jitter); audio beyond it is dropped, never recorded: a
        /// client cannot send more audio than time has passed.
        public var audioAheadToleranceMs: Int64 = 2_000
        /// The largest answer, in bytes of UTF-8 text (typed text plus transcripts); more is refused with
        /// `answer_too_long`. About 5,000 words: far beyond any answer's time limit.
        public var maxAnswerBytes = 32 * 1024
        /// The answer in progress is persisted at most this often while it changes, so a crash loses at most this
        /// much of it.
        public var answerDraftIntervalMs: Int64 = 1_000
        /// A connection that has not started (or resumed) a session this long after it opened is closed.
        public var sessionStartTimeoutMs: Int64 = 15_000
        /// The engine transcribes speech itself: each stretch of speech that ends is sent to its transcriber.
        public var transcribesSpeech = false
        /// A silent turn waits at most this much longer for the engine's transcriber.
        public var transcriptionWaitMs: Int64 = 8_000
        /// While a stretch of speech runs longer than this, the engine transcribes it so far (interim transcripts)…
        public var interimTranscriptAfterMs: Int64 = 2_000
        /// …at most this often per session, one at a time…
        public var interimTranscriptIntervalMs: Int64 = 1_500
        /// …and not for stretches longer than this (each interim transcribes the whole stretch again).
        public var interimTranscriptMaxStretchMs: Int64 = 30_000

        public init() {}
    }

    /// A live or suspended session on the heap, so that taking it out of `state` for an input moves one reference
    /// instead of copying (and retaining) each of the session's many strings, arrays and sets: that copy, twice per
    /// audio frame, was the machine's largest cost under load (postgres-nio's `.modifying` trick alone avoids
    /// copy-on-write of the arrays, not the copy of the fields).
    ///
    /// Sendable because it is only ever changed after `open` found it uniquely referenced: no other machine, and
    /// so no other thread, can see it then.
    private final class SessionBox: @unchecked Sendable {
        var session: LiveSession?
        init(_ session: consuming LiveSession) { self.session = session }

        /// `box` (emptied by `open`) with the session back in it, or a new box.
        static func refill(_ box: SessionBox?, with session: consuming LiveSession) -> SessionBox {
            guard let box else { return SessionBox(session) }
            box.session = session
            return box
        }
    }

    private enum State {
        /// `openedAtMs`: when the connection opened, for the start timeout (nil: no timeout).
        case awaitingStart(openedAtMs: Int64?)
        case live(SessionBox)
        /// The connection dropped; the session waits, unmetered and without timers, for `clientResumed` on a new
        /// connection or `clientClosed` when its grace period ends.
        case suspended(SessionBox)
        case ended(SessionEndReason)
        /// The connection is being closed without a session ever having started on it.
        case closedBeforeStart
        /// Only while an input mutates the session taken out of `live`: the enum then holds no second reference
        /// to it, so the session's arrays and dictionaries are mutated in place instead of copied (postgres-nio's
        /// trick). Never observable between inputs.
        case modifying
    }

    private let settings: Settings
    /// Every assignment but `becomeLive` notes the driver's facts here; `becomeLive` notes them itself, from the
    /// session in hand.
    private var state: State {
        didSet {
            if case .modifying = state {} else { openBox = nil }
            switch state {
            case .live: break
            case .awaitingStart(let openedAtMs):
                (acceptsAudio, nextDeadlineMs) = (false, openedAtMs.map { $0 + settings.sessionStartTimeoutMs })
            case .suspended, .ended, .closedBeforeStart: (acceptsAudio, nextDeadlineMs) = (false, nil)
            case .modifying: break  // never seen between inputs
            }
        }
    }
    /// Set while the server drains: the live session ends (`server_restarting`) at this monotonic time.
    var drainDeadlineMs: Int64?
    /// After `session.ended`, while the model writes the report: when the connection closes without it, and the
    /// close reason (`InterviewStateMachine+WrittenReport.swift`).
    var writtenReportWait: (deadlineMs: Int64, reason: SessionEndReason)?
    /// The started session's id and mode, outside `state`, so the driver's questions (`sessionID`,
    /// `acceptsAudio`), asked for every frame, never copy the live session out of the enum.
    private var started: (sessionID: String, mode: InterviewMode)?
    /// While an input holds the session it took out of `state`: the emptied box it goes back into.
    private var openBox: SessionBox?

    /// `openedAt`: when the connection opened; a session must start within `sessionStartTimeoutMs` of it.
    public init(settings: Settings = Settings(), openedAt: ClockReading? = nil) {
        self.settings = settings
        state = .awaitingStart(openedAtMs: openedAt?.monotonicMs)
        nextDeadlineMs = openedAt.map { $0.monotonicMs + settings.sessionStartTimeoutMs }  // didSet is not run by init
    }

    /// The id of the session once started (also while it waits for resume).
    public var sessionID: String? {
        switch state {
        case .live, .suspended: started?.sessionID
        case .awaitingStart, .ended, .closedBeforeStart, .modifying: nil
        }
    }

    public var isLive: Bool {
        if case .live = state { return true }
        return false
    }

    /// True when binary audio frames are welcome: a live session in voice mode. Stored, like `nextDeadlineMs`,
    /// because the driver asks after every frame: reading a stored property never copies the machine or its
    /// session, where calling a method on the machine inside its connection object copies the whole value.
    public private(set) var acceptsAudio = false

    public var endReason: SessionEndReason? {
        if case .ended(let reason) = state { return reason }
        return nil
    }

    /// True once nothing more will happen on this connection: the session ended, or none ever started.
    public var isFinished: Bool {
        switch state {
        case .ended, .closedBeforeStart: true
        case .awaitingStart, .live, .suspended, .modifying: false
        }
    }

    /// True while the session waits for `clientResumed`.
    public var isSuspended: Bool {
        if case .suspended = state { return true }
        return false
    }

    // MARK: Inputs from the client

    /// A text frame as it arrived: decoded here, so the driver only hands bytes over.
    public mutating func textFrameReceived(_ frame: Data, at now: ClockReading) -> [InterviewAction] {
        switch ClientMessageDecoder.decode(frame) {
        case .failure(let error): invalidMessageReceived(error)
        case .success(let envelope): messageReceived(envelope, at: now)
        }
    }

    /// A decoded client message. `session.start` and `session.resume` need the driver's help: the machine asks for
    /// it with `requestSessionContext` or `requestResume` and gets the answer back as an input.
    public mutating func messageReceived(_ envelope: ClientEnvelope, at now: ClockReading) -> [InterviewAction] {
        let id = envelope.id
        switch envelope.message {
        case .sessionStart(let request):
            guard case .awaitingStart = state else {
                return start(request, requestID: id, sessionID: "", plan: nil, balanceMs: 0, at: now)  // answers the state
            }
            return [.requestSessionContext(request, requestID: id)]
        case .sessionResume(let sessionID, let token):
            guard case .awaitingStart = state else {
                return [.send(.error(ProtocolError(.resumeFailed, "This connection already has a session; resume on a new connection.",
                                                   requestID: id)))]
            }
            return [.requestResume(sessionID: sessionID, resumeToken: token, requestID: id)]
        case .playback(let questionID, let playing): return playbackChanged(questionID: questionID, playing: playing, requestID: id, at: now)
        case .answerText(let text): return answerTextReceived(text, requestID: id, at: now)
        case .transcriptPartial(let text, let questionID):
            return transcriptReceived(text, isFinal: false, questionID: questionID, requestID: id, at: now)
        case .transcriptFinal(let text, let questionID):
            return transcriptReceived(text, isFinal: true, questionID: questionID, requestID: id, at: now)
        case .answerDone: return answerDone(requestID: id, at: now)
        case .sessionEnd: return endSession(requestID: id, at: now)
        }
    }

    /// A binary frame as it arrived; an accepted one comes back as `forwardAudio`, after the machine's own actions.
    public mutating func audioFrameReceived(_ frame: Data, at now: ClockReading) -> [InterviewAction] {
        let (actions, accepted) = audioReceived(byteCount: frame.count, at: now)
        guard accepted else { return actions }
        return actions.isEmpty ? [.forwardAudio(frame)] : actions + [.forwardAudio(frame)]  // one array per frame
    }

    /// The driver could not start the session it was asked for (`requestSessionContext`): `error` says why; the
    /// connection stays waiting for a start.
    public func startRefused(_ error: ProtocolError) -> [InterviewAction] {
        [.send(.error(error))]
    }

    // MARK: Inputs

    /// The client asked to start. The driver has looked up the track's plan (nil when unknown) and the balance.
    /// `resumeToken` goes to the client in `session.started`, for `session.resume` after a dropped connection.
    public mutating func start(_ request: SessionStartRequest, requestID: String?, sessionID: String,
                               plan: (any InterviewPlan)?, balanceMs: Int64, resumeToken: String? = nil,
                               interviewer: ModelInterviewer? = nil, at now: ClockReading) -> [InterviewAction] {
        switch state {
        case .live:
            return [.send(.error(ProtocolError(.sessionAlreadyStarted,
                                               "A session is already running on this connection.", requestID: requestID)))]
        case .ended, .closedBeforeStart, .suspended, .modifying:
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
                                  balanceMs: balanceMs, mainQuestion: plan.mainQuestion(at: 0), startedAt: now,
                                  interviewer: interviewer)
        var actions: [InterviewAction] = [
            .record(.sessionStarted(sessionID: sessionID, trackID: plan.trackID, mode: request.mode,
                                    sampleRate: request.sampleRate, at: now.wall)),
            .send(.sessionStarted(SessionStarted(sessionID: sessionID, protocolVersion: ClientMessageDecoder.protocolVersion,
                                                 trackID: plan.trackID, trackTitle: plan.trackTitle, mode: request.mode,
                                                 sampleRate: request.sampleRate, mainQuestionCount: plan.mainQuestionCount,
                                                 balanceMs: balanceMs, resumeToken: resumeToken,
                                                 transcription: settings.transcribesSpeech ? .engine : .client,
                                                 interviewer: interviewer == nil ? .template : .model),
                                  replyTo: requestID)),
        ]
        actions += session.ask(session.mainQuestion, at: now)
        // Metering starts with the first question, not with the connection.
        session.meter.start(at: now.monotonicMs)
        actions.append(.send(.billingUpdated(BillingUpdate(balanceMs: balanceMs, sessionUsedMs: 0))))
        if balanceMs <= settings.billingWarningMs {
            session.warned = true
            actions.append(.send(.billingWarning(remainingMs: balanceMs)))
        }
        started = (sessionID, request.mode)
        becomeLive(consume session)
        return actions
    }

    public mutating func answerTextReceived(_ text: String, requestID: String?, at now: ClockReading) -> [InterviewAction] {
        let actions = withLiveSession(requestID: requestID, what: "answer.text") { [settings] session in
            if let refusal = Self.refuseIfTooLong(adding: text, replacingPartial: false, to: session.answer,
                                                  settings: settings, requestID: requestID) {
                return refusal
            }
            let bargeIn = session.askTemplateInsteadOfWording(at: now)  // typing again while the interviewer thinks
            guard !session.interviewComplete else { return bargeIn }
            session.answer.append(typed: text)
            session.inputArrived(at: now)
            return bargeIn + session.feedbackIfDue(at: now, settings: settings)
        }
        return endIfComplete(actions, at: now)
    }

    /// A transcript from the client's recogniser (or the engine's transcriber). With `questionID`, it must belong
    /// to the open question: a late transcript of an earlier turn is refused rather than mixed into this one.
    public mutating func transcriptReceived(_ text: String, isFinal: Bool, questionID: String? = nil, requestID: String?,
                                            at now: ClockReading) -> [InterviewAction] {
        let actions = withLiveSession(requestID: requestID, what: isFinal ? "transcript.final" : "transcript.partial") { [settings] session in
            if let questionID, questionID != session.current?.questionID {
                return [.send(.error(ProtocolError(.turnEnded,
                                                   "The turn for \(questionID) has ended; this transcript was not added.",
                                                   requestID: requestID)))]
            }
            if let refusal = Self.refuseIfTooLong(adding: text, replacingPartial: true, to: session.answer,
                                                  settings: settings, requestID: requestID) {
                return refusal
            }
            let bargeIn = session.askTemplateInsteadOfWording(at: now)  // speaking again while the interviewer thinks
            guard !session.interviewComplete else { return bargeIn }
            if isFinal {
                session.answer.append(final: text)
            } else {
                session.answer.replacePartial(with: text)
            }
            session.inputArrived(at: now)
            return bargeIn + session.feedbackIfDue(at: now, settings: settings)
        }
        return endIfComplete(actions, at: now)
    }

    /// A binary frame of `byteCount` bytes of PCM16 audio arrived. `accepted` tells the driver whether to pass the
    /// frame on (to the voice activity detector and the recording): refused and flood-dropped frames are not.
    public mutating func audioReceived(byteCount: Int, at now: ClockReading) -> (actions: [InterviewAction], accepted: Bool) {
        var turnEnds = false
        var accepted = false
        let actions = withLiveSession(requestID: nil, what: "Audio") { [settings] session -> [InterviewAction] in
            guard session.mode == .voice else {
                return [.send(.error(ProtocolError(.audioNotExpected,
                                                   "This session is in text mode; start it with \"mode\": \"voice\" to send audio.")))]
            }
            guard byteCount % 2 == 0 else {
                return [.send(.error(ProtocolError(.audioOddLength,
                                                   "An audio frame had \(byteCount) bytes; PCM16 frames have an even number of bytes.")))]
            }
            if let refusal = Self.refuseBeyondRealTime(&session, byteCount: byteCount, settings: settings, at: now) {
                return refusal
            }
            accepted = true
            session.audioClockMs += Int64(byteCount / 2) * 1000 / Int64(session.sampleRate)
            session.answer.audioBytes += Int64(byteCount)
            session.answer.sampleRate = session.sampleRate
            if let silence = session.silenceSince, !session.speaking, session.answer.startedAt != nil {
                let quietMs = session.audioClockMs - silence.audioMs
                let wait = session.transcriptionsPending > 0 ? settings.transcriptionWaitMs : 0
                turnEnds = quietMs >= session.silenceLimitMs + wait
            }
            // Audio alone is not news for live feedback (speech events and transcripts are); the timer's heartbeat
            // keeps the counters moving.
            return Self.interimTranscriptionIfDue(&session, settings: settings, at: now)
        }
        return (turnEnds ? actions + finishTurn(.silence, at: now) : actions, accepted)
    }

    /// While the candidate has been speaking for `interimTranscriptAfterMs` of one stretch, the engine transcribes
    /// the stretch so far, one interim at a time and at most every `interimTranscriptIntervalMs`.
    private static func interimTranscriptionIfDue(_ session: inout LiveSession, settings: Settings,
                                                  at now: ClockReading) -> [InterviewAction] {
        guard settings.transcribesSpeech, session.speaking, !session.interimInFlight, let current = session.current,
              let start = session.answer.speechStartAudioMs else { return [] }
        let stretchMs = session.audioClockMs - start
        guard stretchMs >= settings.interimTranscriptAfterMs, stretchMs <= settings.interimTranscriptMaxStretchMs else { return [] }
        if let last = session.lastInterimRequestMs, now.monotonicMs - last < settings.interimTranscriptIntervalMs { return [] }
        session.interimInFlight = true
        session.lastInterimRequestMs = now.monotonicMs
        return [.transcribe(questionID: current.questionID, final: false)]
    }

    /// The voice activity detector heard speech begin at `audioMs` into the session's audio.
    public mutating func speechStarted(atAudioMs audioMs: Int64, at now: ClockReading) -> [InterviewAction] {
        guard var session = takeLive() else { return [] }
        guard session.mode == .voice else { becomeLive(consume session); return [] }
        // Speaking again while the interviewer thinks: the template's question now, and this speech answers it.
        var actions = session.askTemplateInsteadOfWording(at: now)
        if session.interviewComplete {
            becomeLive(consume session)
            return endIfComplete(actions, at: now)
        }
        actions.append(.send(.speechStarted(audioMs: audioMs)))
        if session.playbackActive, let current = session.current {
            // Barge-in: the candidate talks over the question, so the client stops reading it.
            session.playbackActive = false
            actions.append(.send(.playbackStop(questionID: current.questionID, reason: "barge_in")))
        }
        if let lastStop = session.answer.lastSpeechStopAudioMs, audioMs - lastStop >= LiveMeasures.longPauseMs {
            session.answer.longPauses += 1
        }
        session.speaking = true
        session.silenceSince = nil
        session.answer.speechStartAudioMs = audioMs
        session.inputArrived(at: now)
        becomeLive(consume session)
        return actions
    }

    /// The detector heard speech end at `audioMs`; a long enough silence from here ends the turn.
    public mutating func speechStopped(atAudioMs audioMs: Int64, at now: ClockReading) -> [InterviewAction] {
        guard var session = takeLive() else { return [] }
        guard session.mode == .voice else { becomeLive(consume session); return [] }
        if let start = session.answer.speechStartAudioMs {
            session.answer.speakingMs += max(0, audioMs - start)
        }
        session.answer.speechStartAudioMs = nil
        session.answer.lastSpeechStopAudioMs = audioMs
        session.speaking = false
        // The detector reports the stop a little after the fact; silence is counted from the stop itself.
        session.silenceSince = (audioMs, now.monotonicMs - max(0, session.audioClockMs - audioMs))
        var actions: [InterviewAction] = [.send(.speechStopped(audioMs: audioMs))]
        if settings.transcribesSpeech, let current = session.current {
            // Until its text arrives, a silent turn waits for it (up to `transcriptionWaitMs`).
            session.transcriptionsPending += 1
            // An interim of this stretch still out would only repeat part of the final: it is dropped on arrival.
            if session.interimInFlight { session.interimStale = true }
            actions.append(.transcribe(questionID: current.questionID, final: true))
        }
        becomeLive(consume session)
        return actions
    }

    /// The engine's transcriber finished for `questionID`: `text` nil when the stretch could not be transcribed
    /// (the transcriber failed, timed out or was too busy), empty when it heard no words. `final` as in the
    /// `transcribe` action it answers.
    ///
    /// A final result becomes a `transcript` event (final) and a final transcript of the answer; an interim one a
    /// `transcript` event (not final) and the answer's partial, which the final replaces. When a final fails, the
    /// stretch stays untranscribed but its last interim is kept as final, the turn stops waiting, and the client is
    /// told once (`transcription.status` unavailable) until a final succeeds again. A result for a turn that has
    /// already ended is dropped quietly (the client did nothing wrong), and so is an interim whose stretch has ended.
    /// While the session waits for resume, final words are kept in the answer all the same (nothing is sent).
    public mutating func serverTranscriptionFinished(_ text: String?, questionID: String, final: Bool = true,
                                                     at now: ClockReading) -> [InterviewAction] {
        if case .suspended(let box) = state, box.session?.current?.questionID == questionID, var session = takeSuspended() {
            if final {
                session.transcriptionsPending = max(0, session.transcriptionsPending - 1)
                let words = (text ?? "").isEmpty ? session.answer.partial : text ?? ""
                if !words.isEmpty, Self.refuseIfTooLong(adding: words, replacingPartial: true, to: session.answer,
                                                        settings: settings, requestID: nil) == nil {
                    session.answer.append(final: words)
                }
            } else {
                session.interimInFlight = false
                session.interimStale = false
            }
            state = .suspended(SessionBox.refill(openBox, with: session))
            return []
        }
        guard var session = takeLive() else { return [] }
        guard session.current?.questionID == questionID else { becomeLive(consume session); return [] }
        if !final {
            session.interimInFlight = false
            let stale = session.interimStale
            session.interimStale = false
            becomeLive(consume session)
            guard !stale, let text, !text.isEmpty else { return [] }
            return [.send(.transcript(questionID: questionID, text: text, isFinal: false))]
                + transcriptReceived(text, isFinal: false, questionID: questionID, requestID: nil, at: now)
        }
        session.transcriptionsPending = max(0, session.transcriptionsPending - 1)
        var actions: [InterviewAction] = []
        if text == nil, !session.engineTranscriptionFailing {
            session.engineTranscriptionFailing = true
            actions.append(.send(.transcriptionStatus(.unavailable,
                                                      message: "Your last words could not be transcribed; the interview goes on, and the engine will try again with what you say next.")))
        } else if text != nil, session.engineTranscriptionFailing {
            session.engineTranscriptionFailing = false
            actions.append(.send(.transcriptionStatus(.engine, message: "Transcription works again.")))
        }
        // No words from the final: the stretch's last interim, if any, stands for it.
        let words = (text ?? "").isEmpty ? session.answer.partial : text ?? ""
        becomeLive(consume session)
        guard !words.isEmpty else { return actions }
        let added = transcriptReceived(words, isFinal: true, questionID: questionID, requestID: nil, at: now)
        if added.contains(where: { if case .send(.error) = $0 { true } else { false } }) { return actions + added }
        return actions + [.send(.transcript(questionID: questionID, text: words, isFinal: true))] + added
    }

    /// The model's first token for the follow-up wording `requestID` arrived (`requestFollowUpWording`).
    public mutating func followUpWordingStarted(requestID: Int) {
        guard var session = takeLive() else { return }
        session.followUpWordingStarted(requestID: requestID)
        becomeLive(consume session)
    }

    /// The follow-up wording `requestID` is done: checked text, or a failure (then the template's text is asked).
    /// A late answer to a request already given up on is ignored.
    public mutating func followUpWordingFinished(requestID: Int, result: FollowUpWordingResult,
                                                 at now: ClockReading) -> [InterviewAction] {
        guard var session = takeLive() else { return [] }
        let actions = session.followUpWordingFinished(requestID: requestID, result: result, at: now)
        becomeLive(consume session)
        return endIfComplete(actions, at: now)
    }

    /// The model's grade of an answer (`requestAnswerGrade`), or nil when it failed the checks or the call failed.
    /// While the session waits for resume the new score is stored but not sent.
    public mutating func answerGraded(requestID: Int, grade: ModelGrade?, at now: ClockReading) -> [InterviewAction] {
        if var session = takeLive() {
            let actions = session.answerGraded(requestID: requestID, grade: grade)
            becomeLive(consume session)
            return actions
        }
        guard var session = takeSuspended() else { return [] }
        let actions = session.answerGraded(requestID: requestID, grade: grade).filter { if case .send = $0 { false } else { true } }
        state = .suspended(SessionBox.refill(openBox, with: session))
        return actions
    }

    /// The microphone is (or is no longer) clipping; live feedback reports it.
    public mutating func clippingChanged(_ clipping: Bool) {
        guard var session = takeLive() else { return }
        session.clipping = clipping
        becomeLive(consume session)
    }

    /// The client started or stopped reading a question aloud.
    public mutating func playbackChanged(questionID: String, playing: Bool, requestID: String?,
                                         at now: ClockReading) -> [InterviewAction] {
        withLiveSession(requestID: requestID, what: playing ? "playback.started" : "playback.stopped") { session in
            if questionID == session.current?.questionID { session.playbackActive = playing }
            return []
        }
    }

    public mutating func answerDone(requestID: String?, at now: ClockReading) -> [InterviewAction] {
        guard case .live(let box) = state else { return wrongState(requestID: requestID, what: "answer.done") }
        guard box.session?.pendingFollowUp == nil else {
            return [.send(.error(ProtocolError(.wrongState, "answer.done is not accepted while the interviewer prepares the next question; it follows within seconds.",
                                               requestID: requestID)))]
        }
        return finishTurn(.answerDone, at: now)
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

    /// The driver's periodic timer (a few times a second): feedback, the end of a silent turn when audio stopped
    /// flowing, nudges and the idle end after a silent question, and the answer's time limit.
    public mutating func timerFired(at now: ClockReading) -> [InterviewAction] {
        if let ended = drainTimeReached(at: now) { return ended }
        if let written = writtenReportWaitReached(at: now) { return written }
        if case .awaitingStart(let openedAtMs?) = state, now.monotonicMs - openedAtMs >= settings.sessionStartTimeoutMs {
            state = .closedBeforeStart
            return [.send(.error(ProtocolError(.sessionStartTimeout,
                                               "No session.start or session.resume arrived within \(settings.sessionStartTimeoutMs / 1000) s of connecting; connect again when you are ready.",
                                               fatal: true))),
                    .close(code: 1008, reason: "no session started")]
        }
        guard var session = takeLive() else { return [] }
        if session.pendingFollowUp != nil {
            let actions = session.pendingFollowUpTimerFired(at: now)
            becomeLive(consume session)
            return endIfComplete(actions, at: now)
        }
        guard let current = session.current, let askedAt = session.currentAskedAt else {
            becomeLive(consume session)
            return []
        }
        // The minutes ran out since the last settlement: end now rather than run on unpaid until it reports.
        if session.meter.unsettled(at: now.monotonicMs) >= session.balanceMs {
            let used = session.meter.total(at: now.monotonicMs)
            becomeLive(consume session)
            return [.send(.billingUpdated(BillingUpdate(balanceMs: 0, sessionUsedMs: used)))] + end(.balanceExhausted, at: now)
        }
        var actions = session.feedbackIfDue(at: now, settings: settings)
        if let draft = session.draftIfDue(at: now, settings: settings) { actions.append(draft) }
        let elapsed = now.monotonicMs - askedAt.monotonicMs
        var turnEnd: TurnEndReason?
        var idle = false
        let transcriptionWait = session.transcriptionsPending > 0 ? settings.transcriptionWaitMs : 0
        if let silence = session.silenceSince, !session.speaking, session.answer.startedAt != nil,
           now.monotonicMs - silence.monotonicMs >= session.silenceLimitMs + 1_000 + transcriptionWait {
            turnEnd = .silence  // the client stopped sending audio after the candidate stopped talking
        } else if elapsed >= session.timeLimitMs {
            turnEnd = .timeLimit
        } else if elapsed >= session.timeLimitMs - settings.timeWarningBeforeMs, !session.timeWarningSent {
            session.timeWarningSent = true
            actions.append(.send(.answerTimeWarning(questionID: current.questionID, remainingMs: session.timeLimitMs - elapsed)))
        }
        let quiet = now.monotonicMs - session.quietSinceMs
        if turnEnd == nil, session.answer.startedAt == nil, !session.speaking {
            if quiet >= settings.nudgeAfterMs * Int64(settings.maxNudges + 1) {
                idle = true
            } else if quiet >= settings.nudgeAfterMs * Int64(session.nudgesSent + 1) {
                session.nudgesSent += 1
                actions.append(.send(.nudge(questionID: current.questionID, number: session.nudgesSent,
                                            text: session.plan.nudge(number: session.nudgesSent))))
                if !session.meterPausedForQuiet {
                    // An empty room costs no minutes: metering waits for the candidate to come back.
                    session.meterPausedForQuiet = true
                    session.meter.stop(at: now.monotonicMs)
                }
            }
        }
        becomeLive(session)
        if idle { return actions + end(.idle, at: now) }
        if let turnEnd { return actions + finishTurn(turnEnd, at: now) }
        return actions
    }

    /// Hands out the metered time not yet charged, never more than the balance the session knows of (which it
    /// lowers by what it hands out until the ledger reports the real one); the driver settles it with the ledger.
    public mutating func usageToSettle(at now: ClockReading) -> Int64 {
        guard var session = takeLive() else { return 0 }
        let amount = session.takeChargeableUsage(at: now)
        becomeLive(consume session)
        return amount
    }

    /// The ledger settled; `balanceMs` is the account's balance now.
    public mutating func balanceUpdated(_ balanceMs: Int64, at now: ClockReading) -> [InterviewAction] {
        guard var session = takeLive() else { return [] }
        session.balanceMs = balanceMs
        var actions: [InterviewAction] = [
            .send(.billingUpdated(BillingUpdate(balanceMs: balanceMs, sessionUsedMs: session.meter.total(at: now.monotonicMs)))),
        ]
        if balanceMs <= settings.billingWarningMs, !session.warned, balanceMs > 0 {
            session.warned = true
            actions.append(.send(.billingWarning(remainingMs: balanceMs)))
        }
        becomeLive(consume session)
        if balanceMs <= 0 {
            actions += end(.balanceExhausted, at: now)
        }
        return actions
    }

    /// The connection dropped. With `resumable`, a live session is suspended (metering and timers stop) and the
    /// machine asks the driver to park it for a later `clientResumed`; otherwise, or when the session is not live,
    /// it ends as `disconnected` (what was said is kept; nothing is sent to the gone client).
    public mutating func clientDisconnected(at now: ClockReading, resumable: Bool) -> [InterviewAction] {
        switch state {
        case .live where resumable:
            var session = takeLive()!
            // The question a resume will repeat is the template's: no wording is waited for across a drop.
            let asked = session.askTemplateInsteadOfWording(at: now)
            if session.interviewComplete {
                // Nothing was left to ask: the interview is complete, and nobody is there to be told.
                becomeLive(consume session)
                return endIfComplete(asked, at: now).filter { if case .send = $0 { false } else if case .close = $0 { false } else { true } }
            }
            session.meter.stop(at: now.monotonicMs)
            session.speaking = false
            session.silenceSince = nil
            session.playbackActive = false
            if session.interimInFlight { session.interimStale = true }
            state = .suspended(SessionBox.refill(openBox, with: session))
            return asked + [.park(sessionID: session.sessionID)]
        case .live, .suspended:
            return end(.disconnected, at: now)
        case .ended:
            writtenReportWait = nil  // nobody is left to show it to; the driver still stores it
            nextDeadlineMs = nil
            return []
        case .awaitingStart, .closedBeforeStart, .modifying:
            return []
        }
    }

    /// A new connection took the session back: metering resumes and the open question is sent again.
    /// `resumeToken` replaces the one the resume showed (each token takes the session back once); the client gets
    /// it in `session.resumed`.
    public mutating func clientResumed(requestID: String?, resumeToken: String?, at now: ClockReading) -> [InterviewAction] {
        guard var session = takeSuspended() else {
            return [.send(.error(ProtocolError(.resumeFailed, "This session is not waiting to be resumed.", requestID: requestID)))]
        }
        session.meterPausedForQuiet = false
        session.clipping = false  // a new connection's microphone reports afresh
        session.meter.start(at: now.monotonicMs)
        session.quietSinceMs = now.monotonicMs
        session.lastFeedbackAt = now.monotonicMs
        var actions: [InterviewAction] = [.send(.sessionResumed(sessionID: session.sessionID, balanceMs: session.balanceMs,
                                                                resumeToken: resumeToken, replyTo: requestID))]
        if let current = session.current { actions.append(.send(.question(current))) }
        actions.append(.send(.billingUpdated(BillingUpdate(balanceMs: session.balanceMs,
                                                          sessionUsedMs: session.meter.total(at: now.monotonicMs)))))
        becomeLive(consume session)
        return actions
    }

    /// The driver found no session to resume for `session.resume` (unknown, another account's, a wrong token, the
    /// grace period over): the connection stays waiting for a start.
    public func resumeRefused(sessionID: String, requestID: String?) -> [InterviewAction] {
        [.send(.error(ProtocolError(.resumeFailed,
                                    "There is no session \(sessionID) waiting to be resumed on your account; start a new one.",
                                    requestID: requestID)))]
    }

    /// The session's grace period ended (or the server is stopping): it ends as `disconnected`.
    public mutating func clientClosed(at now: ClockReading) -> [InterviewAction] {
        switch state {
        case .live, .suspended: end(.disconnected, at: now)
        case .awaitingStart, .ended, .closedBeforeStart, .modifying: []
        }
    }

    /// When the machine next needs `timerFired`, on the monotonic clock; nil while it needs none. Every deadline a
    /// timer input acts on is here, so a driver that calls `timerFired` at this time (and after each input asks
    /// again) misses nothing.
    public internal(set) var nextDeadlineMs: Int64?

    // MARK: Helpers

    /// For the extensions in `InterviewStateMachine+*.swift`: a connection without a session is being closed.
    mutating func closeBeforeStart() {
        if case .awaitingStart = state { state = .closedBeforeStart }
    }

    /// Puts the session back as live (into the box it came out of) and notes, from the session in hand, what the
    /// driver will ask next.
    private mutating func becomeLive(_ session: consuming LiveSession) {
        let deadline = session.nextDeadline(settings: settings)
        becomeLive(in: SessionBox.refill(openBox, with: session), deadline: deadline)
    }

    /// `box` holds the session again, whose next deadline is `deadline`: notes the driver's facts and makes it the
    /// live state. (The deadline comes from the caller, which has the session in hand: reading it from the box
    /// here would copy the whole session.)
    private mutating func becomeLive(in box: SessionBox, deadline: Int64?) {
        // No array for the earlier of the two: this runs for every input, audio frames included.
        nextDeadlineMs = if let drain = drainDeadlineMs { min(deadline ?? drain, drain) } else { deadline }
        acceptsAudio = started?.mode == .voice
        state = .live(box)
    }

    /// Takes the live session out of `state` for an input to change; `state` stays `.modifying` until
    /// `becomeLive` (or another state) replaces it. Nil when the session is not live.
    private mutating func takeLive() -> LiveSession? {
        guard case .live(var box) = state else { return nil }
        state = .modifying
        return open(&box)
    }

    /// The same for a suspended session.
    private mutating func takeSuspended() -> LiveSession? {
        guard case .suspended(var box) = state else { return nil }
        state = .modifying
        return open(&box)
    }

    /// Moves the session out of its box when this machine is the only one holding the box, and keeps the empty box
    /// for the session's return; copies the session when a copy of the machine shares the box, so that machines stay
    /// values.
    private mutating func open(_ box: inout SessionBox) -> LiveSession {
        guard isKnownUniquelyReferenced(&box) else { return box.session! }
        openBox = box
        return box.session.take()!
    }

    /// Runs `body` on the live session where it lies, in its box: the inputs that run for every audio frame come
    /// here, and moving the session out of the box and back copied its bytes twice per frame. A box that a copy of
    /// the machine shares is copied first, so that machines stay values.
    private mutating func withLiveSession(requestID: String?, what: String,
                                          _ body: (inout LiveSession) -> [InterviewAction]) -> [InterviewAction] {
        guard case .live(var box) = state else {
            return wrongState(requestID: requestID, what: what)
        }
        state = .modifying  // the state's reference gone, `box` is unique unless a copy of the machine holds it
        if !isKnownUniquelyReferenced(&box) { box = SessionBox(box.session!) }
        let (actions, deadline) = Self.apply(body, to: &box.session!, settings: settings)
        becomeLive(in: box, deadline: deadline)
        return actions
    }

    /// `body`'s actions and the session's next deadline after it, both on the session in place.
    private static func apply(_ body: (inout LiveSession) -> [InterviewAction], to session: inout LiveSession,
                              settings: Settings) -> (actions: [InterviewAction], deadline: Int64?) {
        let actions = body(&session)
        return (actions, session.nextDeadline(settings: settings))
    }

    private func wrongState(requestID: String?, what: String) -> [InterviewAction] {
        let message = switch state {
        case .awaitingStart: "\(what) is not accepted before session.start."
        case .ended, .closedBeforeStart: "\(what) is not accepted: the session has ended."
        case .live, .suspended, .modifying: "\(what) is not accepted now."
        }
        return [.send(.error(ProtocolError(.wrongState, message, requestID: requestID)))]
    }

    /// A content follow-up given up on after the last question (`interviewComplete`) ends the interview as completed.
    private mutating func endIfComplete(_ actions: [InterviewAction], at now: ClockReading) -> [InterviewAction] {
        guard case .live(let box) = state, box.session?.interviewComplete == true else { return actions }
        return actions + end(.completed, at: now)
    }

    /// Ends the candidate's turn: scores the answer, then asks the next question or completes the interview.
    private mutating func finishTurn(_ reason: TurnEndReason, at now: ClockReading) -> [InterviewAction] {
        guard var session = takeLive() else { return [] }
        let (actions, finished) = session.finishAnswer(at: now, reason: reason)
        becomeLive(consume session)
        return finished ? actions + end(.completed, at: now) : actions
    }

    /// `answer_too_long` when `text` would take the answer past `maxAnswerBytes` (a partial transcript replaces the
    /// previous partial, so only the rest of the answer counts against it).
    private static func refuseIfTooLong(adding text: String, replacingPartial: Bool, to answer: AnswerInProgress,
                                        settings: Settings, requestID: String?) -> [InterviewAction]? {
        let base = replacingPartial ? answer.committedBytes : answer.committedBytes + answer.partial.utf8.count
        guard base + text.utf8.count > settings.maxAnswerBytes else { return nil }
        return [.send(.error(ProtocolError(.answerTooLong,
                                           "This answer has reached its limit of \(settings.maxAnswerBytes) bytes of text; the last \(text.utf8.count) bytes were not added. Send answer.done to finish it.",
                                           requestID: requestID)))]
    }

    /// Audio is bounded by real time: on average at most `maxAudioFramesPerSecond` frames a second, and never more
    /// audio than the wall time since the first frame plus `audioAheadToleranceMs`. Both are budgets counted from
    /// the first frame, so frames that were delayed and arrive together are accepted. A refused frame is dropped
    /// (not detected, not recorded), with at most one error of each kind a second.
    private static func refuseBeyondRealTime(_ session: inout LiveSession, byteCount: Int, settings: Settings,
                                             at now: ClockReading) -> [InterviewAction]? {
        let first = session.firstAudioAtMs ?? now.monotonicMs
        session.firstAudioAtMs = first
        let elapsedMs = now.monotonicMs - first
        let frameBudget = Int64(settings.maxAudioFramesPerSecond) * (elapsedMs + 1_000) / 1_000
        if Int64(session.audioFramesAccepted) >= frameBudget {
            if let last = session.lastFloodReportMs, now.monotonicMs - last < 1_000 { return [] }
            session.lastFloodReportMs = now.monotonicMs
            return [.send(.error(ProtocolError(.audioFlood,
                                               "More than \(settings.maxAudioFramesPerSecond) audio frames a second; send frames of about 20 ms. Extra frames are dropped.")))]
        }
        let frameMs = Int64(byteCount / 2) * 1000 / Int64(session.sampleRate)
        if session.audioClockMs + frameMs > elapsedMs + settings.audioAheadToleranceMs {
            if let last = session.lastPaceReportMs, now.monotonicMs - last < 1_000 { return [] }
            session.lastPaceReportMs = now.monotonicMs
            return [.send(.error(ProtocolError(.audioRateMismatch,
                                               "Audio is arriving faster than real time at the declared \(session.sampleRate) Hz; check the sample_rate in session.start. Audio ahead of the clock is dropped.")))]
        }
        session.audioFramesAccepted += 1
        return nil
    }

    mutating func end(_ reason: SessionEndReason, at now: ClockReading) -> [InterviewAction] {
        guard var session = takeLive() ?? takeSuspended() else { return [] }
        var actions = session.cancelModelRequests()
        if reason != .completed, session.answer.hasContent {
            actions += session.recordAnswer(at: now, complete: false).actions
        }
        session.meter.stop(at: now.monotonicMs)
        let finalUsage = session.takeChargeableUsage(at: now)
        if finalUsage > 0 {
            actions.append(.settleUsage(sessionID: session.sessionID, ms: finalUsage))
        }
        let summary = session.summary()
        let report = session.report()
        actions.append(.record(.sessionEnded(sessionID: session.sessionID, reason: reason, summary: summary, report: report,
                                             at: now.wall)))
        let writing = session.interviewer != nil && !session.conversation.isEmpty
        if writing {
            actions.append(.requestReportWriting(ReportWritingRequest(
                sessionID: session.sessionID, trackTitle: session.plan.trackTitle,
                conversation: ConversationWindow.bounded(session.conversation), report: report)))
        }
        // The rules' report goes out at once; the model's words follow as `report.written` if they come in time.
        let waitsForReport = writing && reason != .disconnected
        if reason != .disconnected {
            let closing = reason == .completed ? session.plan.closingRemarks(for: summary) : nil
            actions.append(.send(.sessionEnded(SessionEnded(reason: reason, summary: summary, closing: closing, report: report,
                                                            writtenReportPending: waitsForReport ? true : nil))))
            if !waitsForReport { actions.append(.close(code: 1000, reason: reason.rawValue)) }
        }
        let reportWaitMs = session.interviewer?.reportWaitMs ?? 0
        state = .ended(reason)
        if waitsForReport {
            writtenReportWait = (now.monotonicMs + reportWaitMs, reason)
            nextDeadlineMs = now.monotonicMs + reportWaitMs
        }
        return actions
    }
}
