import Foundation

/// The answer being given to the open question.
struct AnswerInProgress: Sendable {
    private(set) var typed: [String] = []
    private(set) var finals: [String] = []
    private(set) var partial = ""
    /// UTF-8 bytes of `typed` and `finals`, the part of the answer that only grows.
    private(set) var committedBytes = 0
    /// Changes whenever the text does: analysis and drafts are redone only for a new revision.
    private(set) var revision = 0
    var audioBytes: Int64 = 0
    var sampleRate = SessionStartRequest.defaultSampleRate
    /// When the candidate first typed, spoke or sent a transcript.
    var startedAt: ClockReading?
    /// Spoken time so far, and where the current stretch of speech began (audio milliseconds).
    var speakingMs: Int64 = 0
    var speechStartAudioMs: Int64?
    var lastSpeechStopAudioMs: Int64?
    var longPauses = 0

    /// The pieces, each trimmed, joined by spaces. Kept up to date by every change rather than computed when read:
    /// live feedback and the turn's end read it several times a second.
    private(set) var text = ""
    /// Words that were spoken (transcripts), not typed: the only ones a speaking pace may count.
    var spokenWordCount: Int { finalWordCount + partialWordCount }
    private var finalWordCount = 0
    private var partialWordCount = 0

    init(sampleRate: Int = SessionStartRequest.defaultSampleRate) {
        self.sampleRate = sampleRate
    }

    var audioMs: Int64 { audioBytes / 2 * 1000 / Int64(sampleRate) }

    var hasContent: Bool { !text.isEmpty || audioBytes > 0 }

    mutating func append(typed text: String) {
        typed.append(text)
        committedBytes += text.utf8.count
        textChanged()
    }

    /// A final transcript replaces the partial it finalises.
    mutating func append(final text: String) {
        finals.append(text)
        finalWordCount += Self.wordCount(text)
        committedBytes += text.utf8.count
        partial = ""
        partialWordCount = 0
        textChanged()
    }

    mutating func replacePartial(with text: String) {
        guard text != partial else { return }
        partial = text
        partialWordCount = Self.wordCount(text)
        textChanged()
    }

    private mutating func textChanged() {
        text = (typed + finals + [partial]).map { $0.trimmedOfWhitespace }.filter { !$0.isEmpty }.joined(separator: " ")
        revision += 1
    }

    private static func wordCount(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }

    mutating func markStarted(at now: ClockReading) {
        if startedAt == nil { startedAt = now }
    }
}

/// Everything the `live` state needs; only `InterviewStateMachine` mutates it.
struct LiveSession: Sendable {
    let sessionID: String
    let plan: any InterviewPlan
    /// The plan's answer target, time limit and silence that ends a turn, in milliseconds.
    let targetMs: Int64
    let timeLimitMs: Int64
    let silenceLimitMs: Int64
    let mode: InterviewMode
    let sampleRate: Int
    let startedAt: ClockReading
    var balanceMs: Int64
    var warned = false
    var meter = UsageMeter()

    var mainIndex = 0
    var mainQuestion: PlannedQuestion
    var followUpsForMain = 0
    var usedTemplates: Set<String> = []
    var questionNumber = 0
    var current: QuestionAsked?
    var currentAskedAt: ClockReading?
    var answer = AnswerInProgress()
    var lastFeedbackAt: Int64?
    /// Input arrived since the last feedback event.
    var feedbackPending = false

    // Voice.
    /// Milliseconds of audio received in the whole session: the detector's timeline.
    var audioClockMs: Int64 = 0
    var speaking = false
    /// Silence since the last speech stopped in this answer: on the audio timeline and on the monotonic clock.
    var silenceSince: (audioMs: Int64, monotonicMs: Int64)?
    var clipping = false
    /// The client is reading the current question aloud.
    var playbackActive = false
    /// Transcriptions the engine's own transcriber is working on for this answer; a silent turn waits for them.
    var transcriptionsPending = 0
    /// An interim transcription of the stretch being spoken is out; `interimStale` once that stretch has ended (its
    /// final is on the way, so the interim is dropped when it comes back).
    var interimInFlight = false
    var interimStale = false
    /// When the last interim transcription was asked for (monotonic), for the rate bound.
    var lastInterimRequestMs: Int64?
    /// The engine's last final transcription failed; the client was told (`transcription.status`).
    var engineTranscriptionFailing = false

    // Silence after a question, and the answer's time limit.
    var quietSinceMs: Int64 = 0
    var nudgesSent = 0
    var meterPausedForQuiet = false
    var timeWarningSent = false

    // Audio against the clock: frames and milliseconds accepted since the first frame, and when each kind of
    // refusal was last reported.
    var firstAudioAtMs: Int64?
    var audioFramesAccepted = 0
    var lastFloodReportMs: Int64?
    var lastPaceReportMs: Int64?

    /// The analysis of the answer's text at `revision`: recomputed only when the text changed.
    var analysisCache: (revision: Int, analysis: AnswerAnalysis, specifics: [String])?
    /// The answer revision last persisted as a draft, and when.
    var draftedRevision = 0
    var lastDraftMs: Int64 = 0

    // Running totals for the summary and the report.
    var answersGiven = 0
    var followUpsAsked = 0
    var totalWords = 0
    var totalFillers = 0
    var speakingMsForPace: Int64 = 0
    var wordsForPace = 0
    var scores: [AnswerScore] = []
    var kinds: [String: QuestionKind] = [:]

    // The model interviewer, when the session has one (`LiveSession+ModelFollowUp.swift`).
    var interviewer: ModelInterviewer?
    /// The follow-up whose wording the model is working on; no question is open meanwhile.
    var pendingFollowUp: PendingFollowUp?
    var modelRequestsMade = 0
    /// The model was asked for a content follow-up about this main question (at most one each).
    var contentFollowUpRequested = false
    /// A content follow-up given up on after the last question left nothing to ask: the machine ends the
    /// interview as completed.
    var interviewComplete = false
    /// Every question asked and every complete answer, for the model's view of the conversation and the repeat check.
    var askedQuestions: [String] = []
    var conversation: [ConversationTurn] = []
    /// Answers the model is grading, by request id, with the rules' score each grade replaces.
    var pendingGrades: [Int: AnswerScore] = [:]

    init(sessionID: String, plan: any InterviewPlan, mode: InterviewMode, sampleRate: Int, balanceMs: Int64,
         mainQuestion: PlannedQuestion, startedAt: ClockReading, interviewer: ModelInterviewer? = nil) {
        self.interviewer = interviewer
        self.sessionID = sessionID
        self.plan = plan
        // Read once: the plan is an existential whose getters copy the track they read from, and the deadline
        // that needs these is computed for every input.
        targetMs = Int64(plan.targetAnswerSeconds) * 1000
        timeLimitMs = Int64(plan.answerTimeLimitSeconds) * 1000
        silenceLimitMs = Int64((plan.silenceSeconds * 1000).rounded())
        self.mode = mode
        self.sampleRate = sampleRate
        self.balanceMs = balanceMs
        self.mainQuestion = mainQuestion
        self.startedAt = startedAt
    }

    mutating func ask(_ planned: PlannedQuestion, source: QuestionSource = .template, modelName: String? = nil,
                      at now: ClockReading) -> [InterviewAction] {
        questionNumber += 1
        let asked = QuestionAsked(questionID: "q\(questionNumber)", number: questionNumber, kind: planned.kind,
                                  text: planned.text, template: planned.template, mainNumber: mainIndex + 1,
                                  targetSeconds: plan.targetAnswerSeconds, source: source, modelName: modelName)
        current = asked
        askedQuestions.append(asked.text)
        kinds[asked.questionID] = asked.kind
        currentAskedAt = now
        answer = AnswerInProgress(sampleRate: sampleRate)
        lastFeedbackAt = now.monotonicMs
        feedbackPending = false
        silenceSince = nil
        playbackActive = false
        transcriptionsPending = 0
        interimInFlight = false
        interimStale = false
        quietSinceMs = now.monotonicMs
        nudgesSent = 0
        timeWarningSent = false
        analysisCache = nil
        draftedRevision = 0
        // Metering paused by a nudge stays paused: only the candidate's own input restarts it (`inputArrived`),
        // never `answer.done` alone (docs/PROTOCOL.md §6).
        return [.record(.questionAsked(sessionID: sessionID, question: asked, at: now.wall)), .send(.question(asked))]
    }

    /// The metered time not yet handed out, capped at the balance this session knows of, which it then lowers: the
    /// session never charges more than it was told there is. (Time past the balance is still in the meter's total,
    /// so `used_ms` shows it; the timer ends the session as soon as the balance is used up.)
    mutating func takeChargeableUsage(at now: ClockReading) -> Int64 {
        let amount = min(meter.takeUnsettled(at: now.monotonicMs), max(0, balanceMs))
        balanceMs -= amount
        return amount
    }

    /// The earliest time `timerFired` has something to do: live feedback (its minimum interval when input is
    /// waiting, else its heartbeat), the silence that ends a turn, the time warning and limit, the next nudge or the
    /// idle end, a draft of the changed answer, and the balance running out.
    func nextDeadline(settings: InterviewStateMachine.Settings) -> Int64? {
        if let pendingFollowUp { return pendingFollowUp.deadlineMs }
        guard let askedAt = currentAskedAt?.monotonicMs else { return nil }
        let lastFeedback = lastFeedbackAt ?? askedAt
        var deadline = lastFeedback + (feedbackPending ? settings.feedbackMinIntervalMs : settings.feedbackHeartbeatMs)
        if let silence = silenceSince, !speaking, answer.startedAt != nil {
            let wait = transcriptionsPending > 0 ? settings.transcriptionWaitMs : 0
            deadline = min(deadline, silence.monotonicMs + silenceLimitMs + 1_000 + wait)
        }
        deadline = min(deadline, askedAt + timeLimitMs)
        if !timeWarningSent { deadline = min(deadline, askedAt + timeLimitMs - settings.timeWarningBeforeMs) }
        if answer.startedAt == nil, !speaking {
            deadline = min(deadline, quietSinceMs + settings.nudgeAfterMs * Int64(min(nudgesSent, settings.maxNudges) + 1))
        }
        if answer.revision != draftedRevision { deadline = min(deadline, lastDraftMs + settings.answerDraftIntervalMs) }
        if let runningSince = meter.runningSinceMs {
            deadline = min(deadline, runningSince + max(0, balanceMs - meter.unsettled(at: runningSince)))
        }
        return deadline
    }

    /// The candidate typed, spoke or sent a transcript: the answer has started, feedback has news to tell, the
    /// room is not empty (metering resumes if it paused).
    mutating func inputArrived(at now: ClockReading) {
        answer.markStarted(at: now)
        feedbackPending = true
        quietSinceMs = now.monotonicMs
        nudgesSent = 0
        if meterPausedForQuiet {
            meterPausedForQuiet = false
            meter.start(at: now.monotonicMs)
        }
    }

    /// The answer's analysis now. The text is analysed once per revision: a heartbeat that finds the text
    /// unchanged only moves the duration.
    mutating func analysis(at now: ClockReading) -> AnswerAnalysis {
        var measured: AnswerAnalysis
        if let cache = analysisCache, cache.revision == answer.revision {
            measured = cache.analysis
        } else {
            measured = AnswerAnalyzer.analyze(answer.text)
            analysisCache = (answer.revision, measured, AnswerAnalyzer.specifics(in: answer.text))
        }
        measured.durationMs = answer.startedAt.map { now.monotonicMs - $0.monotonicMs } ?? 0
        return measured
    }

    /// The answer in progress as a draft record, when its text changed and the last draft is old enough.
    mutating func draftIfDue(at now: ClockReading, settings: InterviewStateMachine.Settings) -> InterviewAction? {
        guard let current, answer.revision != draftedRevision,
              now.monotonicMs - lastDraftMs >= settings.answerDraftIntervalMs else { return nil }
        draftedRevision = answer.revision
        lastDraftMs = now.monotonicMs
        return .record(.answerDraft(sessionID: sessionID, questionID: current.questionID, text: answer.text,
                                    audioMs: answer.audioMs, startedAt: (answer.startedAt ?? now).wall, at: now.wall))
    }

    /// Spoken time including the stretch still going on.
    var speakingMsNow: Int64 {
        answer.speakingMs + (answer.speechStartAudioMs.map { max(0, audioClockMs - $0) } ?? 0)
    }

    mutating func measures(at now: ClockReading) -> LiveMeasures {
        let measured = analysis(at: now)
        // Spoken answers are paced over speaking time; typed ones over the time since the first keystroke.
        var wpm = measured.wordsPerMinute
        if mode == .voice, speakingMsNow >= AnswerAnalysis.minimumPaceSampleMs, answer.spokenWordCount > 0 {
            wpm = Int((Double(answer.spokenWordCount) * 60_000 / Double(speakingMsNow)).rounded())
        }
        return LiveMeasures(mode: mode, elapsedMs: now.monotonicMs - (currentAskedAt?.monotonicMs ?? now.monotonicMs),
                            targetMs: targetMs, timeLimitMs: timeLimitMs, analysis: measured, wordsPerMinute: wpm,
                            speakingMs: speakingMsNow, longPauses: answer.longPauses, clipping: clipping)
    }

    /// Live feedback now if it is due: input arrived and the minimum interval passed, or the heartbeat is due.
    mutating func feedbackIfDue(at now: ClockReading, settings: InterviewStateMachine.Settings) -> [InterviewAction] {
        guard let current, let askedAt = currentAskedAt else { return [] }
        let sinceLast = now.monotonicMs - (lastFeedbackAt ?? askedAt.monotonicMs)
        let due = (feedbackPending && sinceLast >= settings.feedbackMinIntervalMs) || sinceLast >= settings.feedbackHeartbeatMs
        guard due else { return [] }
        lastFeedbackAt = now.monotonicMs
        feedbackPending = false
        let live = measures(at: now)
        let measured = live.analysis
        var feedback = LiveFeedback(questionID: current.questionID, elapsedMs: live.elapsedMs, targetMs: targetMs,
                                    wordCount: measured.wordCount, wordsPerMinute: live.wordsPerMinute,
                                    pace: PaceBands.pace(wordsPerMinute: live.wordsPerMinute),
                                    fillerCount: measured.fillerCount, fillersPer100Words: measured.fillersPer100Words,
                                    fillers: measured.fillers, audioMs: answer.audioMs)
        feedback.timeLimitMs = timeLimitMs
        feedback.speakingMs = live.speakingMs
        feedback.hedges = measured.hedges
        feedback.longPauses = answer.longPauses
        feedback.starParts = measured.starParts.sorted()
        feedback.specifics = LiveSpecifics(numbers: measured.mentionsNumbers, named: analysisCache?.specifics ?? [],
                                           outcome: measured.starParts.contains(.result))
        feedback.iCount = measured.firstPersonSingular
        feedback.weCount = measured.firstPersonPlural
        feedback.clipping = clipping
        feedback.tip = plan.coachingTip(for: live)
        return [.send(.feedbackLive(feedback))]
    }

    /// Records the answer to the open question (scored when complete) and counts it in the totals.
    mutating func recordAnswer(at now: ClockReading, complete: Bool) -> (actions: [InterviewAction], analysis: AnswerAnalysis, text: String) {
        let text = answer.text
        draftedRevision = answer.revision  // the answer itself is recorded now; no draft of it is due
        let measured = analysis(at: now)
        let started = answer.startedAt ?? now
        if !measured.isEmpty { answersGiven += 1 }
        totalWords += measured.wordCount
        totalFillers += measured.fillerCount
        if measured.wordsPerMinute != nil {
            speakingMsForPace += measured.durationMs
            wordsForPace += measured.wordCount
        }
        var score: AnswerScore?
        if complete, let current {
            let (rubric, template) = plan.rubric
            score = AnswerScorer.score(ScoringInput(questionID: current.questionID, questionText: current.text,
                                                    answerText: text, analysis: measured,
                                                    targetSeconds: plan.targetAnswerSeconds,
                                                    speakingMs: mode == .voice && answer.spokenWordCount > 0 ? speakingMsNow : nil,
                                                    spokenWords: answer.spokenWordCount,
                                                    longPauses: answer.longPauses),
                                       rubric: rubric, rubricRef: template)
            scores.append(score!)
            if !text.isEmpty { conversation.append(ConversationTurn(question: current.text, answer: text)) }
        }
        var actions: [InterviewAction] = [
            .record(.answerGiven(sessionID: sessionID, questionID: current?.questionID ?? "", text: text, analysis: measured,
                                 audioMs: answer.audioMs, startedAt: started.wall, endedAt: now.wall, complete: complete,
                                 score: score)),
        ]
        if let score {
            actions.append(.send(.answerScored(score)))
            if let request = gradeRequest(for: score, answer: text) { actions.append(.requestAnswerGrade(request)) }
        }
        answer = AnswerInProgress(sampleRate: sampleRate)
        return (actions, measured, text)
    }

    /// Closes the open answer and asks what comes next; `finished` is true when the interview is complete.
    mutating func finishAnswer(at now: ClockReading, reason: TurnEndReason) -> (actions: [InterviewAction], finished: Bool) {
        var actions: [InterviewAction] = []
        if let current { actions.append(.send(.turnEnded(questionID: current.questionID, reason: reason))) }
        let (recorded, measured, text) = recordAnswer(at: now, complete: true)
        actions += recorded
        if !measured.isEmpty {
            let context = FollowUpContext(mainQuestion: mainQuestion, answerText: text, answer: measured,
                                          followUpsAsked: followUpsForMain, usedTemplates: usedTemplates,
                                          targetAnswerSeconds: plan.targetAnswerSeconds,
                                          wantsModelInstructions: interviewer != nil)
            if let followUp = plan.followUp(for: context) {
                followUpsForMain += 1
                followUpsAsked += 1
                usedTemplates.insert(followUp.template.id)
                actions += askFollowUp(followUp, at: now)
                return (actions, false)
            }
            if let thinking = askContentFollowUp(for: context, at: now) { return (actions + thinking, false) }
        }
        let (next, finished) = askNextMainQuestion(at: now)
        return (actions + next, finished)
    }

    /// Goes on to the next main question; `finished` when there is none left (the interview is complete).
    mutating func askNextMainQuestion(at now: ClockReading) -> (actions: [InterviewAction], finished: Bool) {
        guard mainIndex + 1 < plan.mainQuestionCount else {
            current = nil
            currentAskedAt = nil
            return ([], true)
        }
        mainIndex += 1
        followUpsForMain = 0
        contentFollowUpRequested = false
        mainQuestion = plan.mainQuestion(at: mainIndex)
        return (ask(mainQuestion, at: now), false)
    }

    func summary() -> SessionSummary {
        let averageWPM = speakingMsForPace > 0 ? Int((Double(wordsForPace) * 60_000 / Double(speakingMsForPace)).rounded()) : nil
        var summary = SessionSummary(questionsAsked: questionNumber, answersGiven: answersGiven, followUpsAsked: followUpsAsked,
                                     totalWords: totalWords, averageWordsPerMinute: averageWPM, fillerCount: totalFillers,
                                     usedMs: meter.settledMs)
        summary.text = SummaryWriter.text(for: summary)
        return summary
    }

    func report() -> SessionReport {
        SessionReport.from(scores, kinds: kinds, rubric: plan.rubric.rubric)
    }
}

/// The one-paragraph summary a candidate reads at the end.
enum SummaryWriter {
    static func text(for summary: SessionSummary) -> String {
        var parts = ["You answered \(summary.answersGiven) of \(summary.questionsAsked) questions"]
        if summary.followUpsAsked > 0 {
            parts[0] += " (\(summary.followUpsAsked) follow-up\(summary.followUpsAsked == 1 ? "" : "s"))"
        }
        parts[0] += " in \(duration(summary.usedMs))."
        if summary.totalWords > 0 {
            var words = "\(summary.totalWords) words"
            if let wpm = summary.averageWordsPerMinute { words += " at \(wpm) words per minute" }
            let per100 = (Double(summary.fillerCount) * 1000 / Double(summary.totalWords)).rounded() / 10
            words += ", \(per100) filler words per 100 words."
            parts.append(words)
        }
        return parts.joined(separator: " ")
    }

    static func duration(_ ms: Int64) -> String {
        let seconds = Int((Double(ms) / 1000).rounded())
        return seconds >= 60 ? "\(seconds / 60) min \(seconds % 60) s" : "\(seconds) s"
    }
}
