import Foundation
import Testing
@testable import Interview

/// Spoken turns: speech events from the detector, silence that ends a turn, nudges, the idle end, the time limit,
/// barge-in, and the audio sanity checks.
@Suite struct VoiceTurnTests {
    var clock = TestClock()
    var machine = InterviewStateMachine()

    mutating func startVoice(plan: FakePlan = FakePlan()) {
        _ = machine.start(SessionStartRequest(trackID: "fake", mode: .voice), requestID: nil, sessionID: "S",
                          plan: plan, balanceMs: 600_000, at: clock.reading)
    }

    /// Streams `ms` of audio in 20 ms frames, one frame per 20 ms of clock; returns every action.
    mutating func stream(ms: Int) -> [InterviewAction] {
        var actions: [InterviewAction] = []
        for _ in 0..<(ms / 20) { actions += machine.audioReceived(byteCount: 640, at: clock.advance(20)).actions }
        return actions
    }

    var turnEnds: (([InterviewAction]) -> [TurnEndReason]) {
        { actions in actions.sent.compactMap { if case .turnEnded(_, let reason) = $0 { reason } else { nil } } }
    }

    @Test mutating func silenceAfterSpeechEndsTheTurn() {
        startVoice()
        _ = stream(ms: 1_000)
        #expect(machine.speechStarted(atAudioMs: 1_000, at: clock.reading).sent == [.speechStarted(audioMs: 1_000)])
        _ = machine.transcriptReceived("I led the rollout and we cut errors by 30%", isFinal: true, requestID: nil, at: clock.reading)
        _ = stream(ms: 2_000)
        #expect(machine.speechStopped(atAudioMs: 3_000, at: clock.reading).sent == [.speechStopped(audioMs: 3_000)])
        // A pause shorter than the track's 2.5 s silence does not end the turn…
        #expect(turnEnds(stream(ms: 2_000)).isEmpty)
        // …the rest of the 2.5 s does: scored, then the next question (numbers were given, so no follow-up).
        let ending = stream(ms: 600)
        #expect(turnEnds(ending) == [.silence])
        let scored = ending.sent.compactMap { if case .answerScored(let score) = $0 { score } else { nil } }
        #expect(scored.map(\.questionID) == ["q1"])
        #expect(ending.questions.map(\.text) == ["Second question?"])
    }

    @Test mutating func speechResumingKeepsTheTurnOpenAndCountsLongPauses() {
        startVoice()
        _ = machine.speechStarted(atAudioMs: 0, at: clock.reading)
        _ = stream(ms: 1_000)
        _ = machine.speechStopped(atAudioMs: 1_000, at: clock.reading)
        _ = stream(ms: 1_000)
        _ = machine.speechStarted(atAudioMs: 2_000, at: clock.reading)  // a 1 s pause: not long
        _ = stream(ms: 3_000)
        _ = machine.speechStopped(atAudioMs: 5_000, at: clock.reading)
        #expect(turnEnds(stream(ms: 2_000)).isEmpty)
        _ = machine.speechStarted(atAudioMs: 7_000, at: clock.reading)  // a 2 s pause: long, but speech came back in time
        _ = stream(ms: 1_000)
        let feedback = machine.timerFired(at: clock.advance(1_000)).feedback.last
        #expect(feedback?.longPauses == 1)
        #expect(feedback?.speakingMs == 5_000)
    }

    @Test mutating func whenAudioStopsFlowingTheTimerEndsTheSilentTurn() {
        startVoice()
        _ = machine.speechStarted(atAudioMs: 0, at: clock.reading)
        _ = machine.transcriptReceived("I did it", isFinal: true, requestID: nil, at: clock.reading)
        _ = stream(ms: 1_000)
        _ = machine.speechStopped(atAudioMs: 1_000, at: clock.reading)
        #expect(turnEnds(machine.timerFired(at: clock.advance(2_500))).isEmpty)
        #expect(turnEnds(machine.timerFired(at: clock.advance(1_100))) == [.silence])
    }

    @Test mutating func aSilentRoomIsNudgedThenEndsIdleAndIsNotBilled() {
        startVoice()
        _ = stream(ms: 1_000)  // silence only: no speech events
        var nudges: [Int] = []
        var ended: SessionEnded?
        for _ in 0..<70 {
            let actions = machine.timerFired(at: clock.advance(1_000))
            nudges += actions.sent.compactMap { if case .nudge(_, let number, _) = $0 { number } else { nil } }
            if let end = actions.ended { ended = end }
        }
        #expect(nudges == [1, 2])
        #expect(ended?.reason == .idle)
        // Metering stopped at the first nudge: the empty room cost 20 s, not a minute.
        #expect(ended?.summary.usedMs == 20_000)
    }

    @Test mutating func speakingAfterANudgeResumesMetering() {
        startVoice()
        for _ in 0..<21 { _ = machine.timerFired(at: clock.advance(1_000)) }
        #expect(machine.usageToSettle(at: clock.reading) == 20_000)
        for _ in 0..<5 { _ = machine.timerFired(at: clock.advance(1_000)) }
        #expect(machine.usageToSettle(at: clock.reading) == 0)
        _ = machine.speechStarted(atAudioMs: 0, at: clock.reading)
        #expect(machine.usageToSettle(at: clock.advance(3_000)) == 3_000)
    }

    @Test mutating func answerDoneAfterANudgeLeavesMeteringPaused() {
        startVoice()
        for _ in 0..<21 { _ = machine.timerFired(at: clock.advance(1_000)) }
        #expect(machine.usageToSettle(at: clock.reading) == 20_000)
        // answer.done moves on to the next question, but the room is still empty: nothing is metered…
        #expect(machine.answerDone(requestID: nil, at: clock.reading).questions.count == 1)
        #expect(machine.usageToSettle(at: clock.advance(5_000)) == 0)
        // …until the candidate's own input.
        _ = machine.answerTextReceived("here I am", requestID: nil, at: clock.reading)
        #expect(machine.usageToSettle(at: clock.advance(2_000)) == 2_000)
    }

    @Test mutating func theTimeLimitWarnsThenEndsTheTurn() {
        var plan = FakePlan()
        plan.targetAnswerSeconds = 60  // limit: 120 s
        startVoice(plan: plan)
        _ = machine.speechStarted(atAudioMs: 0, at: clock.reading)
        var warnings: [Int64] = []
        var ends: [TurnEndReason] = []
        for _ in 0..<121 {
            let actions = machine.timerFired(at: clock.advance(1_000))
            warnings += actions.sent.compactMap { if case .answerTimeWarning(_, let remaining) = $0 { remaining } else { nil } }
            ends += turnEnds(actions)
        }
        #expect(warnings == [15_000])
        #expect(ends == [.timeLimit])
    }

    @Test mutating func speakingOverTheQuestionStopsItsPlayback() {
        startVoice()
        _ = machine.playbackChanged(questionID: "q1", playing: true, requestID: nil, at: clock.reading)
        let bargeIn = machine.speechStarted(atAudioMs: 500, at: clock.advance(500))
        #expect(bargeIn.sent.contains(.playbackStop(questionID: "q1", reason: "barge_in")))
        _ = machine.speechStopped(atAudioMs: 900, at: clock.advance(400))
        // Playback already stopped: speaking again asks nothing of the client.
        #expect(!machine.speechStarted(atAudioMs: 1_500, at: clock.advance(600)).sent.contains { $0.type == "playback.stop" })
    }

    @Test mutating func aFloodOfTinyFramesIsReportedOnceASecondAndDropped() {
        startVoice()
        var errors: [ProtocolError.Code] = []
        var accepted = 0
        for _ in 0..<300 {
            let (actions, ok) = machine.audioReceived(byteCount: 32, at: clock.advance(1))  // 1 ms frames, 1,000 a second
            errors += actions.errors.map(\.code)
            if ok { accepted += 1 }
        }
        #expect(errors == [.audioFlood])
        // The budget: 100 frames, plus 100 for every second since the first frame (0.299 s here).
        #expect(accepted == 129)
    }

    @Test mutating func framesThatArriveLateTogetherAreNotAFlood() {
        startVoice()
        _ = stream(ms: 1_000)
        // The network (or the server) stalled for 3 s; the 150 frames sent meanwhile arrive at once.
        _ = clock.advance(3_000)
        var refused = 0
        var errors: [ProtocolError.Code] = []
        for _ in 0..<150 {
            let (actions, ok) = machine.audioReceived(byteCount: 640, at: clock.reading)
            errors += actions.errors.map(\.code)
            if !ok { refused += 1 }
        }
        #expect(refused == 0)
        #expect(errors.isEmpty)
    }

    @Test mutating func audioFasterThanRealTimeIsDroppedBeyondTheTolerance() {
        startVoice()
        var errors: [ProtocolError.Code] = []
        var acceptedMs: Int64 = 0
        // 48 kHz audio declared as 16 kHz: each 20 ms of real audio looks like 60 ms. 100 frames over 2 s of clock.
        for _ in 0..<100 {
            let (actions, ok) = machine.audioReceived(byteCount: 1_920, at: clock.advance(20))
            errors += actions.errors.map(\.code)
            if ok { acceptedMs += 60 }
        }
        // Never more audio than the 1.98 s since the first frame plus the 2 s tolerance; one error a second.
        #expect(acceptedMs <= 1_980 + 2_000)
        #expect(acceptedMs >= 1_980 + 2_000 - 60)
        #expect(errors == [.audioRateMismatch, .audioRateMismatch])
    }

    @Test mutating func aTranscriptForAnEndedTurnIsRefused() {
        startVoice()
        _ = machine.answerDone(requestID: nil, at: clock.advance(1_000))  // q1 done, q2 asked
        let late = machine.transcriptReceived("late words", isFinal: true, questionID: "q1", requestID: "t", at: clock.advance(100))
        #expect(late.errors.map(\.code) == [.turnEnded])
        #expect(late.errors.first?.requestID == "t")
        #expect(machine.transcriptReceived("on time", isFinal: true, questionID: "q2", requestID: nil, at: clock.reading).errors.isEmpty)
    }

    @Test mutating func theEndReportScoresEveryCompleteAnswer() {
        startVoice()
        _ = machine.transcriptReceived("At my last job my goal was to ship. I decided to cut scope. As a result we shipped 2 weeks early.",
                                       isFinal: true, requestID: nil, at: clock.advance(1_000))
        _ = machine.answerDone(requestID: nil, at: clock.advance(20_000))
        _ = machine.transcriptReceived("We did things", isFinal: true, requestID: nil, at: clock.advance(1_000))
        let end = machine.endSession(requestID: nil, at: clock.advance(5_000))
        let report = end.ended?.report
        #expect(report?.questions.map(\.questionID) == ["q1"])  // the unfinished second answer is stored, not scored
        #expect(report?.questions.first?.scores["structure"] == 100)
        #expect(report?.practise.count == 3)
        #expect(report?.trend == .notEnoughAnswers)
    }
}

@Suite struct VoicePaceTests {
    @Test func typedWordsInAVoiceSessionDoNotInflateThePace() {
        var clock = TestClock()
        var machine = InterviewStateMachine()
        _ = machine.start(SessionStartRequest(trackID: "fake", mode: .voice), requestID: nil, sessionID: "S",
                          plan: FakePlan(), balanceMs: 600_000, at: clock.reading)
        _ = machine.speechStarted(atAudioMs: 0, at: clock.reading)
        for _ in 0..<500 { _ = machine.audioReceived(byteCount: 640, at: clock.advance(20)) }  // 10 s of speech
        _ = machine.transcriptReceived(Array(repeating: "word", count: 25).joined(separator: " "), isFinal: true,
                                       requestID: nil, at: clock.reading)
        _ = machine.answerTextReceived(Array(repeating: "typed", count: 200).joined(separator: " "), requestID: nil, at: clock.reading)
        let feedback = machine.timerFired(at: clock.advance(1_000)).feedback.last
        #expect(feedback?.wordsPerMinute == 150)  // 25 spoken words in 10 s of speech; the 200 typed ones do not count
        #expect(feedback?.wordCount == 225)
    }
}

@Suite struct SuspendAndResumeTests {
    @Test func aSuspendedSessionIsNotMeteredAndResumesWithItsQuestion() {
        var clock = TestClock()
        var machine = InterviewStateMachine()
        _ = machine.start(SessionStartRequest(trackID: "fake"), requestID: nil, sessionID: "S", plan: FakePlan(),
                          balanceMs: 600_000, resumeToken: "secret", at: clock.reading)
        #expect(machine.usageToSettle(at: clock.advance(2_000)) == 2_000)
        #expect(machine.clientDisconnected(at: clock.reading, resumable: true) == [.park(sessionID: "S")])
        #expect(machine.timerFired(at: clock.advance(30_000)).isEmpty)  // no nudges to an empty line
        #expect(machine.usageToSettle(at: clock.reading) == 0)
        let resumed = machine.clientResumed(requestID: "r", resumeToken: "secret-2", at: clock.reading)
        // The balance the session knows: the 2 s it handed out for charging are already taken off; and the token
        // for the next resume, since each one takes the session back once.
        #expect(resumed.sent.first == .sessionResumed(sessionID: "S", balanceMs: 598_000, resumeToken: "secret-2", replyTo: "r"))
        #expect(resumed.questions.map(\.questionID) == ["q1"])
        #expect(machine.usageToSettle(at: clock.advance(1_000)) == 1_000)
        #expect(machine.clientResumed(requestID: nil, resumeToken: "secret-3", at: clock.reading).errors.map(\.code) == [.resumeFailed])
    }
}
