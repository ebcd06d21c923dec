import Foundation
import Testing
@testable import Interview

@Suite struct InterviewStateMachineTests {
    var clock = TestClock()
    var machine = InterviewStateMachine()

    mutating func start(plan: (any InterviewPlan)? = FakePlan(), balanceMs: Int64 = 600_000,
                        mode: InterviewMode = .text) -> [InterviewAction] {
        machine.start(SessionStartRequest(trackID: "fake", mode: mode), requestID: "s1", sessionID: "S",
                      plan: plan, balanceMs: balanceMs, at: clock.reading)
    }

    mutating func answer(_ text: String, after ms: Int64 = 1_000) -> [InterviewAction] {
        _ = machine.answerTextReceived(text, requestID: nil, at: clock.advance(ms))
        return machine.answerDone(requestID: nil, at: clock.advance(10))
    }

    @Test mutating func startAsksTheFirstQuestionAndRecordsIt() {
        let actions = start()
        guard case .sessionStarted(let started, let replyTo) = actions.sent.first else {
            Issue.record("session.started must come first")
            return
        }
        #expect(replyTo == "s1")
        #expect(started.sessionID == "S" && started.mainQuestionCount == 2 && started.balanceMs == 600_000)
        #expect(actions.questions == [QuestionAsked(questionID: "q1", number: 1, kind: .main, text: "First question?",
                                                    template: TemplateRef(id: "q0", version: "v1"), mainNumber: 1,
                                                    targetSeconds: 60)])
        #expect(actions.records.count == 2)
        if case .sessionStarted(let id, let track, .text, 16_000, _) = actions.records[0] {
            #expect(id == "S" && track == "fake")
        } else {
            Issue.record("the session must be recorded first")
        }
        #expect(machine.isLive)
    }

    /// Inputs change the live session in place; a copy of the machine must still be a separate interview.
    @Test mutating func aCopyOfTheMachineIsASeparateInterview() {
        _ = start()
        _ = machine.answerTextReceived("Before the copy.", requestID: nil, at: clock.advance(500))
        var copy = machine
        _ = machine.answerTextReceived("Only the original heard this.", requestID: nil, at: clock.advance(500))
        _ = copy.answerTextReceived("Only the copy heard this.", requestID: nil, at: clock.advance(10))
        let answered = { (actions: [InterviewAction]) in
            actions.records.compactMap { if case .answerGiven(_, _, let text, _, _, _, _, _, _) = $0 { text } else { nil } }
        }
        #expect(answered(machine.answerDone(requestID: nil, at: clock.advance(10)))
                == ["Before the copy. Only the original heard this."])
        #expect(answered(copy.answerDone(requestID: nil, at: clock.advance(10))) == ["Before the copy. Only the copy heard this."])
    }

    @Test mutating func unknownTrackAndZeroBalanceAreRefusedAndTheClientMayRetry() {
        #expect(start(plan: nil).errors.map(\.code) == [.unknownTrack])
        #expect(start(balanceMs: 0).errors.map(\.code) == [.insufficientBalance])
        #expect(!machine.isLive)
        #expect(start().questions.count == 1)
    }

    @Test mutating func aWholeInterviewWithAFollowUp() {
        _ = start()
        // No numbers: the plan's follow-up fires once.
        let first = answer("I talked to everyone and it went well")
        #expect(first.questions.map(\.kind) == [.followUp])
        #expect(first.questions.first?.template == TemplateRef(id: "ask-numbers", version: "v2"))
        #expect(first.questions.first?.text == "Any numbers on topic0?")
        // The follow-up limit is one: the next answer moves on to the second main question.
        let second = answer("Still no numbers")
        #expect(second.questions.map(\.text) == ["Second question?"])
        #expect(second.questions.first?.mainNumber == 2)
        // The follow-up template is never repeated in a session, so the last answer completes the interview.
        let last = answer("No numbers again")
        #expect(last.questions.isEmpty)
        #expect(last.ended?.reason == .completed)
        #expect(last.ended?.summary.questionsAsked == 3)
        #expect(last.ended?.summary.answersGiven == 3)
        #expect(last.ended?.summary.followUpsAsked == 1)
        #expect(last.closeCode == 1000)
        #expect(machine.endReason == .completed)
    }

    @Test mutating func answersAreRecordedWithTheirAnalysis() {
        _ = start()
        _ = machine.answerTextReceived("We cut costs by 40%,", requestID: nil, at: clock.advance(2_000))
        _ = machine.answerTextReceived("um, twice over", requestID: nil, at: clock.advance(1_000))
        let done = machine.answerDone(requestID: nil, at: clock.advance(1_000))
        guard case .answerGiven(_, let questionID, let text, let analysis, _, _, _, let complete, _) = done.records.first else {
            Issue.record("the answer must be recorded")
            return
        }
        #expect(questionID == "q1")
        #expect(text == "We cut costs by 40%, um, twice over")
        #expect(analysis.mentionsNumbers && analysis.fillers == ["um": 1] && complete)
        #expect(analysis.durationMs == 2_000)
        // Numbers were given, so no follow-up: straight to the next main question.
        #expect(done.questions.map(\.kind) == [.main])
    }

    @Test mutating func emptyAnswerMovesOnWithoutAFollowUp() {
        _ = start()
        let done = machine.answerDone(requestID: nil, at: clock.advance(3_000))
        #expect(done.questions.map(\.text) == ["Second question?"])
    }

    @Test mutating func messagesInTheWrongStateGetWrongState() {
        #expect(machine.answerDone(requestID: "x", at: clock.reading).errors
            == [ProtocolError(.wrongState, "answer.done is not accepted before session.start.", requestID: "x")])
        #expect(machine.answerTextReceived("hi", requestID: nil, at: clock.reading).errors.map(\.code) == [.wrongState])
        #expect(machine.endSession(requestID: nil, at: clock.reading).errors.map(\.code) == [.wrongState])
        #expect(machine.audioReceived(byteCount: 320, at: clock.reading).actions.errors.map(\.code) == [.wrongState])
        _ = start()
        #expect(start().errors.map(\.code) == [.sessionAlreadyStarted])
        _ = machine.endSession(requestID: nil, at: clock.advance(1_000))
        #expect(machine.answerDone(requestID: nil, at: clock.reading).errors.map(\.code) == [.wrongState])
        #expect(start().errors.map(\.code) == [.wrongState])
    }

    @Test mutating func audioIsCheckedAndCounted() {
        _ = start(mode: .voice)
        let odd = machine.audioReceived(byteCount: 321, at: clock.advance(20))
        #expect(odd.actions.errors.map(\.code) == [.audioOddLength])
        #expect(!odd.accepted)
        for _ in 0..<50 { #expect(machine.audioReceived(byteCount: 640, at: clock.advance(20)).accepted) }  // 1 s at 16 kHz
        let feedback = machine.timerFired(at: clock.advance(1_000)).feedback
        #expect(feedback.last?.audioMs == 1_000)
        let done = machine.answerDone(requestID: nil, at: clock.advance(10))
        if case .answerGiven(_, _, _, _, let audioMs, _, _, _, _) = done.records.first {
            #expect(audioMs == 1_000)
        } else {
            Issue.record("the answer must be recorded")
        }
    }

    @Test mutating func audioInTextModeIsRefused() {
        _ = start(mode: .text)
        #expect(machine.audioReceived(byteCount: 640, at: clock.advance(20)).actions.errors.map(\.code) == [.audioNotExpected])
    }

    @Test mutating func transcriptsBuildTheAnswer() {
        _ = start(mode: .voice)
        _ = machine.transcriptReceived("I led", isFinal: false, requestID: nil, at: clock.advance(500))
        _ = machine.transcriptReceived("I led the team", isFinal: true, requestID: nil, at: clock.advance(500))
        _ = machine.transcriptReceived("and we", isFinal: false, requestID: nil, at: clock.advance(500))
        let done = machine.answerDone(requestID: nil, at: clock.advance(500))
        if case .answerGiven(_, _, let text, _, _, _, _, _, _) = done.records.first {
            #expect(text == "I led the team and we")
        } else {
            Issue.record("the answer must be recorded")
        }
    }

    @Test mutating func liveFeedbackIsThrottled() {
        _ = start()
        // Input right away is held back until the minimum interval has passed since the question.
        #expect(machine.answerTextReceived("one", requestID: nil, at: clock.advance(100)).feedback.isEmpty)
        let due = machine.answerTextReceived("two three", requestID: nil, at: clock.advance(200))
        #expect(due.feedback.count == 1)
        #expect(due.feedback.first?.wordCount == 3)
        #expect(due.feedback.first?.elapsedMs == 300)
        #expect(due.feedback.first?.targetMs == 60_000)
        // Within 250 ms of the last one: nothing, even with new input; the timer sends it once due.
        #expect(machine.answerTextReceived("four", requestID: nil, at: clock.advance(100)).feedback.isEmpty)
        #expect(machine.timerFired(at: clock.advance(100)).feedback.isEmpty)
        #expect(machine.timerFired(at: clock.advance(100)).feedback.first?.wordCount == 4)
        // Without input the heartbeat still moves the timer once a second.
        #expect(machine.timerFired(at: clock.advance(500)).feedback.isEmpty)
        #expect(machine.timerFired(at: clock.advance(500)).feedback.count == 1)
    }

    @Test mutating func meteringStartsAtTheFirstQuestionAndSettlesEachMillisecondOnce() {
        #expect(machine.usageToSettle(at: clock.advance(5_000)) == 0)
        _ = start()
        #expect(machine.usageToSettle(at: clock.advance(1_000)) == 1_000)
        #expect(machine.usageToSettle(at: clock.advance(400)) == 400)
        let end = machine.endSession(requestID: nil, at: clock.advance(300))
        #expect(end.settledUsage == 300)
        #expect(end.ended?.summary.usedMs == 1_700)
        #expect(end.ended?.reason == .clientEnded)
        #expect(machine.usageToSettle(at: clock.advance(1_000)) == 0)
    }

    @Test mutating func balanceWarningOnceThenExhaustion() {
        _ = start(balanceMs: 120_000)
        let plenty = machine.balanceUpdated(100_000, at: clock.advance(1_000))
        #expect(plenty.sent.map(\.type) == ["billing.updated"])
        let low = machine.balanceUpdated(59_000, at: clock.advance(1_000))
        #expect(low.sent.map(\.type) == ["billing.updated", "billing.warning"])
        #expect(machine.balanceUpdated(30_000, at: clock.advance(1_000)).sent.map(\.type) == ["billing.updated"])
        _ = machine.answerTextReceived("half an answer", requestID: nil, at: clock.advance(100))
        let zero = machine.balanceUpdated(0, at: clock.advance(900))
        #expect(zero.ended?.reason == .balanceExhausted)
        #expect(zero.closeCode == 1000)
        // The unfinished answer is kept, marked incomplete.
        let incomplete = zero.records.contains {
            if case .answerGiven(_, _, "half an answer", _, _, _, _, false, nil) = $0 { true } else { false }
        }
        #expect(incomplete)
        #expect(!machine.isLive)
    }

    @Test mutating func aVanishedClientLeavesTheSessionStoredWithoutSendingAnything() {
        _ = start()
        _ = machine.answerTextReceived("I was in the middle of", requestID: nil, at: clock.advance(2_000))
        let closed = machine.clientClosed(at: clock.advance(500))
        #expect(closed.sent.isEmpty)
        #expect(closed.closeCode == nil)
        #expect(closed.settledUsage == 2_500)
        let reasons = closed.records.compactMap { if case .sessionEnded(_, let reason, _, _, _) = $0 { reason } else { nil } }
        #expect(reasons == [.disconnected])
        #expect(closed.records.count == 2)
        #expect(machine.clientClosed(at: clock.advance(1)).isEmpty)
    }

    /// Bad frames in the middle of an answer, decoded as the server decodes them: each becomes one non-fatal error
    /// frame with its code and, where the id could be read, the id echoed; the answer and the session go on untouched.
    @Test mutating func badFramesMidAnswerAreAnsweredWithErrorsAndTheSessionGoesOn() throws {
        _ = start()
        _ = machine.answerTextReceived("I set up the test plan", requestID: nil, at: clock.advance(1_000))
        let frames: [(frame: String, code: String, id: String?)] = [
            ("{not json", "invalid_json", nil),
            (#"{"type":"answer.text","id":"t7"}"#, "invalid_message", "t7"),
            (#"{"type":"answer.txt","id":9,"text":"lost words"}"#, "unknown_type", "9"),
            (#"{"type":"answer.text","id":true,"text":"lost words"}"#, "invalid_message", nil),
        ]
        for (frame, code, id) in frames {
            guard case .failure(let error) = ClientMessageDecoder.decode(Data(frame.utf8)) else {
                Issue.record("\(frame) must not decode")
                continue
            }
            let actions = machine.invalidMessageReceived(error)
            #expect(actions.count == 1, "\(frame): only an error is sent, nothing is recorded or closed")
            let sent = try #require(actions.sent.first, "\(frame)")
            let wire = try #require(try JSONSerialization.jsonObject(with: sent.encoded()) as? [String: Any])
            #expect(wire["type"] as? String == "error")
            #expect(wire["code"] as? String == code, "\(frame)")
            #expect(wire["id"] as? String == id, "\(frame)")
            #expect(wire["fatal"] as? Bool == false)
            #expect(machine.isLive)
        }
        let done = machine.answerDone(requestID: nil, at: clock.advance(500))
        guard case .answerGiven(_, "q1", let text, _, _, _, _, true, _) = done.records.first else {
            Issue.record("the answer must be recorded as complete: \(done.records)")
            return
        }
        #expect(text == "I set up the test plan", "nothing from the bad frames joined the answer")
        #expect(done.questions.map(\.questionID) == ["q2"])
    }
}
