import Foundation
import Interview

/// What one input did: the actions the machine returned and the time it handed out for settlement.
public struct FuzzStep: Sendable {
    public var index: Int
    public var input: FuzzInput
    public var actions: [InterviewAction]
    /// Milliseconds `usageToSettle` returned in this step (a settlement).
    public var usageTaken: Int64
    /// Balance added to what the machine may charge (the start balance, or minutes granted meanwhile).
    public var balanceGiven: Int64
    /// Bytes the client sent in this step (the frame), for bounding the output.
    public var inputBytes: Int
    /// Whom the machine's errors in this step must answer: a client frame with this id, or nobody.
    public var replyTo: ReplyTo
    /// The model request this step answered (a wording's end or a grade), if any.
    public var modelAnswered: Int?

    public init(index: Int, input: FuzzInput, actions: [InterviewAction], usageTaken: Int64, balanceGiven: Int64,
                inputBytes: Int, replyTo: ReplyTo, modelAnswered: Int? = nil) {
        self.index = index
        self.input = input
        self.actions = actions
        self.usageTaken = usageTaken
        self.balanceGiven = balanceGiven
        self.inputBytes = inputBytes
        self.replyTo = replyTo
        self.modelAnswered = modelAnswered
    }

    public enum ReplyTo: Sendable, Equatable {
        /// Not a client message: the machine has nobody to send an error to.
        case nobody
        /// A client message whose `id` is not known to the input's author.
        case unknownID
        case request(String?)
        /// The server's own notice (a drain): only a fatal error, answering no message, may follow.
        case server
    }
}

/// Plays a `FuzzScenario` against one `InterviewStateMachine` the way the server's service loop does: it decodes
/// text frames with `ClientMessageDecoder`, looks up the plan and the balance for `session.start`, keeps an account
/// ledger that charges are capped at (as the store does), answers model requests in the order they were made
/// (whether or not the machine gave up on them meanwhile), delivers nothing to a dropped connection, and closes
/// the connection for good at the end.
public struct InterviewFuzzDriver {
    public static let sessionID = "fuzz-session"

    public private(set) var machine = InterviewStateMachine(settings: Self.settings)

    /// The production settings, with the engine transcribing speech, so `transcribe` requests are exercised too.
    static var settings: InterviewStateMachine.Settings {
        var settings = InterviewStateMachine.Settings()
        settings.transcribesSpeech = true
        return settings
    }
    private var clock = ClockReading(monotonicMs: 5_000_000, wall: Date(timeIntervalSince1970: 1_800_000_000))
    /// The account's balance as the store keeps it.
    private var ledgerMs: Int64
    private var connection = Connection.open
    private var sampleRate = SessionStartRequest.defaultSampleRate
    /// The detector's position: milliseconds of accepted audio.
    private var audioMs: Int64 = 0
    /// Questions whose speech went to the transcriber (final or interim), oldest first.
    private var transcribing: [(questionID: String, final: Bool)] = []
    /// Follow-up wordings and grades asked of the model and not yet answered, oldest first.
    private var wordings: [Int] = []
    private var grades: [Int] = []
    /// Whether the session asked for its written report and has not had it.
    private var reportRequested = false
    private var resumes = 0

    private enum Connection {
        case open
        /// Dropped, waiting to be resumed: nothing arrives.
        case suspended
        /// Closed for good.
        case gone
    }

    public init(balanceMs: Int64) {
        ledgerMs = max(0, balanceMs)
    }

    /// Runs every input and the final close; the steps in order.
    public static func run(_ scenario: FuzzScenario) -> [FuzzStep] {
        var driver = InterviewFuzzDriver(balanceMs: scenario.balanceMs)
        var steps = scenario.inputs.enumerated().compactMap { driver.apply($1, index: $0) }
        if let last = driver.apply(.close, index: scenario.inputs.count) { steps.append(last) }
        return steps
    }

    /// Applies one input; nil when the server would not call the machine for it (a frame to a dropped connection).
    public mutating func apply(_ input: FuzzInput, index: Int) -> FuzzStep? {
        var step = FuzzStep(index: index, input: input, actions: [], usageTaken: 0, balanceGiven: 0, inputBytes: 0,
                            replyTo: .nobody)
        if case .gone = connection { return nil }
        switch input {
        case .advance(let ms):
            clock = clock.advanced(byMs: max(0, ms))
            return nil
        case .balanceChanged(let delta):
            // A refund takes back only what is there; the balance never goes below zero. Before the start, the
            // start itself hands the balance over; afterwards, live or waiting for resume, the session hears of a
            // grant with the next settlement's balance.
            let before = ledgerMs
            ledgerMs = max(0, ledgerMs &+ delta)
            step.balanceGiven = machine.sessionID != nil ? max(0, ledgerMs - before) : 0
            return step
        case .close:
            step.actions = machine.clientClosed(at: clock)
            connection = .gone
            noteRequests(in: step.actions)
            return step
        case .disconnect:
            guard case .open = connection else { return nil }
            // As the service loop: a live session waits to be resumed, anything else is closed.
            step.actions = machine.clientDisconnected(at: clock, resumable: true)
            connection = machine.isSuspended ? .suspended : .gone
            noteRequests(in: step.actions)
            return step
        case .resume:
            guard case .suspended = connection else { return nil }
            resumes += 1
            let requestID = "resume-\(resumes)"
            step.replyTo = .request(requestID)
            step.actions = machine.clientResumed(requestID: requestID, resumeToken: "next", at: clock)
            connection = .open
            noteRequests(in: step.actions)
            return step
        default:
            break
        }
        guard case .open = connection else { return nil }
        switch input {
        case .text(let frame, let requestID):
            step.inputBytes = frame.count
            step.replyTo = if case .known(let id) = requestID { .request(id) } else { .unknownID }
            let (actions, given) = textReceived(frame)
            step.actions = actions
            step.balanceGiven = given
        case .binary(let byteCount):
            step.inputBytes = byteCount
            step.replyTo = .request(nil)
            let wasVoice = machine.acceptsAudio
            let actions = machine.audioFrameReceived(Data(count: byteCount), at: clock)
            if actions.contains(where: { if case .forwardAudio = $0 { true } else { false } }), wasVoice {
                audioMs += Int64(byteCount / 2) * 1000 / Int64(sampleRate)
            }
            step.actions = actions
        case .timer:
            step.actions = machine.timerFired(at: clock)
        case .settle:
            // The service loop settles every live connection with a session, and reports balances only to those
            // it charged.
            guard machine.sessionID != nil else { return nil }
            let ms = machine.usageToSettle(at: clock)
            step.usageTaken = ms
            guard ms > 0 else { return step }
            ledgerMs -= min(ms, ledgerMs)
            step.actions = machine.balanceUpdated(ledgerMs, at: clock)
        case .speechStarted:
            step.actions = machine.speechStarted(atAudioMs: audioMs, at: clock)
        case .speechStopped:
            step.actions = machine.speechStopped(atAudioMs: audioMs, at: clock)
        case .transcriptionFinished(let text):
            guard !transcribing.isEmpty else { return nil }
            let request = transcribing.removeFirst()
            step.actions = machine.serverTranscriptionFinished(text, questionID: request.questionID, final: request.final,
                                                               at: clock)
        case .drain(let inMs):
            // As the service loop: every open connection is told; one without a session is sent away and closed.
            step.replyTo = .server
            step.actions = machine.serverDraining(until: clock.monotonicMs + max(0, inMs), at: clock)
            if machine.isFinished, machine.endReason == nil { connection = .gone }
        case .modelFirstToken:
            guard let requestID = wordings.first else { return nil }
            machine.followUpWordingStarted(requestID: requestID)
        case .modelWording(let text):
            guard !wordings.isEmpty else { return nil }
            let requestID = wordings.removeFirst()
            step.modelAnswered = requestID
            step.actions = machine.followUpWordingFinished(requestID: requestID,
                                                           result: text.map { .wording($0) } ?? .failed(reason: "fuzz"),
                                                           at: clock)
        case .modelGrade(let score):
            guard !grades.isEmpty else { return nil }
            let requestID = grades.removeFirst()
            step.modelAnswered = requestID
            let grade = score.map { score in
                ModelGrade(scores: Dictionary(uniqueKeysWithValues: ScoreCriterion.allCases.map { ($0, score) }),
                           evidence: [:])
            }
            step.actions = machine.answerGraded(requestID: requestID, grade: grade, at: clock)
        case .reportWritten(let written):
            guard reportRequested else { return nil }
            reportRequested = false
            let report = WrittenReport(summary: "A fuzzed summary.", practise: ["One", "Two", "Three"],
                                       model: FuzzPlan.interviewer.modelName)
            step.actions = machine.reportWritingFinished(written ? report : nil, at: clock)
        case .advance, .balanceChanged, .close, .disconnect, .resume:
            break  // handled above
        }
        noteRequests(in: step.actions)
        return step
    }

    /// Keeps the requests the machine made, to answer them later.
    private mutating func noteRequests(in actions: [InterviewAction]) {
        for action in actions {
            switch action {
            case .transcribe(let questionID, let final): transcribing.append((questionID, final))
            case .requestFollowUpWording(let request): wordings.append(request.requestID)
            case .requestAnswerGrade(let request): grades.append(request.requestID)
            case .requestReportWriting: reportRequested = true
            default: break
            }
        }
    }

    /// A text frame, handed to the machine as the service loop does, answering its requests as the loop would:
    /// the plan and the balance for a start; no parked session for a resume. Also returns the balance handed over.
    private mutating func textReceived(_ frame: Data) -> (actions: [InterviewAction], balanceGiven: Int64) {
        var actions: [InterviewAction] = []
        var given: Int64 = 0
        for action in machine.textFrameReceived(frame, at: clock) {
            switch action {
            case .requestSessionContext(let request, let id):
                let plan = FuzzPlan(track: request.trackID)
                actions += machine.start(request, requestID: id, sessionID: Self.sessionID, plan: plan, balanceMs: ledgerMs,
                                         resumeToken: "resume-token",
                                         interviewer: plan?.worded == true ? FuzzPlan.interviewer : nil, at: clock)
                if machine.isLive {
                    sampleRate = request.sampleRate
                    given = ledgerMs
                }
            case .requestResume(let sessionID, _, let id):
                actions += machine.resumeRefused(sessionID: sessionID, requestID: id)
            default:
                actions.append(action)
            }
        }
        return (actions, given)
    }
}
