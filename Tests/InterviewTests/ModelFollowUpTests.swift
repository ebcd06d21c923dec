import Foundation
import Testing
@testable import Interview

/// The model interviewer in the machine: a follow-up the rules chose is worded by the model within the latency
/// budget, and the template's own text is asked whenever that fails, runs late, or the candidate starts again.
@Suite struct ModelFollowUpTests {
    static let interviewer = ModelInterviewer(modelName: "test-model", budget: ModelLatencyBudget(firstTokenMs: 1_000, totalMs: 2_500))
    static let plan = FakePlan(modelPrompt: ModelPrompt(system: "Ask about numbers.", user: "Main question: First question?"))
    static let templateText = "Any numbers on topic0?"

    /// A live session whose first answer has just ended; the model has been asked to word the follow-up.
    struct Waiting {
        var machine = InterviewStateMachine()
        var clock = TestClock()
        var actions: [InterviewAction] = []
        var started: [InterviewAction] = []

        init(mode: InterviewMode = .text, interviewer: ModelInterviewer? = ModelFollowUpTests.interviewer) {
            started = machine.start(SessionStartRequest(trackID: "fake", mode: mode), requestID: "1", sessionID: "S",
                                    plan: ModelFollowUpTests.plan, balanceMs: 600_000, interviewer: interviewer, at: clock.reading)
            _ = machine.answerTextReceived("We kept the old payment service alive while we moved off it.", requestID: nil,
                                           at: clock.advance(5_000))
            actions = machine.answerDone(requestID: nil, at: clock.advance(1_000))
        }

        var request: FollowUpWordingRequest? {
            actions.compactMap { if case .requestFollowUpWording(let request) = $0 { request } else { nil } }.first
        }
    }

    static func cancelled(_ actions: [InterviewAction]) -> [Int] {
        actions.compactMap { if case .cancelModelRequest(let id) = $0 { id } else { nil } }
    }

    static func asked(_ actions: [InterviewAction]) -> [QuestionAsked] {
        actions.records.compactMap { if case .questionAsked(_, let question, _) = $0 { question } else { nil } }
    }

    @Test func withoutAModelTheTemplateIsAskedAtOnceAndTheSessionSaysSo() throws {
        let session = Waiting(interviewer: nil)
        let started = try #require(session.started.sent.compactMap { if case .sessionStarted(let s, _) = $0 { s } else { nil } }.first)
        #expect(started.interviewer == .template)
        #expect(session.request == nil)
        #expect(session.actions.questions.map(\.text) == [Self.templateText])
        #expect(session.actions.questions.first?.source == .template)
    }

    @Test func theFollowUpWaitsForTheModelAndTheCandidateSeesTheInterviewerThinking() throws {
        let session = Waiting()
        let started = try #require(session.started.sent.compactMap { if case .sessionStarted(let s, _) = $0 { s } else { nil } }.first)
        #expect(started.interviewer == .model)
        #expect(session.actions.questions.isEmpty)
        #expect(session.actions.sent.contains(.interviewerThinking(afterQuestionID: "q1", budgetMs: 2_500)))
        let request = try #require(session.request)
        #expect(request.templateText == Self.templateText)
        #expect(request.template == TemplateRef(id: "ask-numbers", version: "v2"))
        #expect(request.prompt == Self.plan.modelPrompt)
        #expect(request.conversation == [ConversationTurn(question: "First question?",
                                                          answer: "We kept the old payment service alive while we moved off it.")])
        #expect(request.earlierQuestions == ["First question?"])
        #expect(request.language == "en")
        // The first-token budget is the next deadline.
        #expect(session.machine.nextDeadlineMs == session.clock.reading.monotonicMs + 1_000)
    }

    @Test func validWordingInTimeIsAskedAndRecordedAsTheModels() throws {
        var session = Waiting()
        let request = try #require(session.request)
        session.machine.followUpWordingStarted(requestID: request.requestID)
        let wording = "How many payments a day did that old service handle?"
        let actions = session.machine.followUpWordingFinished(requestID: request.requestID, result: .wording(wording),
                                                              at: session.clock.advance(1_800))
        #expect(actions.questions.map(\.text) == [wording])
        let asked = try #require(Self.asked(actions).first)
        #expect(asked.source == .model)
        #expect(asked.modelName == "test-model")
        #expect(asked.template == TemplateRef(id: "ask-numbers", version: "v2"))
        #expect(asked.kind == .followUp)
        #expect(Self.cancelled(actions).isEmpty)
    }

    @Test func noFirstTokenWithinItsBudgetAsksTheTemplate() throws {
        var session = Waiting()
        let request = try #require(session.request)
        #expect(session.machine.timerFired(at: session.clock.advance(999)).questions.isEmpty)
        let actions = session.machine.timerFired(at: session.clock.advance(1))
        #expect(Self.cancelled(actions) == [request.requestID])
        #expect(actions.questions.map(\.text) == [Self.templateText])
        #expect(Self.asked(actions).first?.source == .template)
        // The answer that comes after all is ignored: the question has been asked.
        #expect(session.machine.followUpWordingFinished(requestID: request.requestID, result: .wording("Too late, what now?"),
                                                        at: session.clock.advance(100)).isEmpty)
    }

    @Test func afterTheFirstTokenTheTotalBudgetApplies() throws {
        var session = Waiting()
        let request = try #require(session.request)
        let requestedAt = session.clock.reading.monotonicMs
        _ = session.clock.advance(400)
        session.machine.followUpWordingStarted(requestID: request.requestID)
        #expect(session.machine.nextDeadlineMs == requestedAt + 2_500)
        #expect(session.machine.timerFired(at: session.clock.advance(2_099)).questions.isEmpty)  // 2,499 ms in
        let actions = session.machine.timerFired(at: session.clock.advance(1))
        #expect(Self.cancelled(actions) == [request.requestID])
        #expect(actions.questions.map(\.text) == [Self.templateText])
    }

    @Test func aFailedOrRejectedWordingAsksTheTemplateAtOnce() throws {
        var session = Waiting()
        let request = try #require(session.request)
        let actions = session.machine.followUpWordingFinished(requestID: request.requestID,
                                                              result: .failed(reason: "rejected: not one question"),
                                                              at: session.clock.advance(300))
        #expect(actions.questions.map(\.text) == [Self.templateText])
        #expect(Self.asked(actions).first?.source == .template)
        #expect(Self.cancelled(actions).isEmpty)  // the call is already over
    }

    @Test func typingAgainCancelsTheModelAndTheTextAnswersTheTemplatesQuestion() throws {
        var session = Waiting()
        let request = try #require(session.request)
        let actions = session.machine.answerTextReceived("Oh, and it handled 40,000 payments a day.", requestID: nil,
                                                         at: session.clock.advance(200))
        #expect(Self.cancelled(actions) == [request.requestID])
        #expect(actions.questions.map(\.questionID) == ["q2"])
        #expect(actions.questions.map(\.text) == [Self.templateText])
        let done = session.machine.answerDone(requestID: nil, at: session.clock.advance(2_000))
        let answered = done.records.compactMap { if case .answerGiven(_, let id, let text, _, _, _, _, _, _) = $0 { (id, text) } else { nil } }
        #expect(answered.first?.0 == "q2")
        #expect(answered.first?.1 == "Oh, and it handled 40,000 payments a day.")
    }

    @Test func speakingAgainCancelsTheModelBeforeTheSpeechIsHeard() throws {
        var session = Waiting(mode: .voice)
        let request = try #require(session.request)
        let actions = session.machine.speechStarted(atAudioMs: 8_000, at: session.clock.advance(300))
        #expect(Self.cancelled(actions) == [request.requestID])
        let types = actions.sent.map(\.type)
        #expect(types.firstIndex(of: "question")! < types.firstIndex(of: "speech.started")!)
    }

    @Test func endingTheSessionCancelsTheModelAndAsksNothing() throws {
        var session = Waiting()
        let request = try #require(session.request)
        let actions = session.machine.endSession(requestID: nil, at: session.clock.advance(300))
        #expect(Self.cancelled(actions) == [request.requestID])
        #expect(actions.questions.isEmpty)
        #expect(actions.ended?.reason == .clientEnded)
    }

    @Test func aDroppedConnectionCancelsTheModelAndAResumeAsksTheTemplate() throws {
        var session = Waiting()
        let request = try #require(session.request)
        let dropped = session.machine.clientDisconnected(at: session.clock.advance(300), resumable: true)
        #expect(Self.cancelled(dropped) == [request.requestID])
        #expect(Self.asked(dropped).map(\.text) == [Self.templateText])  // recorded, so the stored interview has it
        #expect(dropped.contains(.park(sessionID: "S")))
        let resumed = session.machine.clientResumed(requestID: nil, resumeToken: nil, at: session.clock.advance(5_000))
        #expect(resumed.questions.map(\.text) == [Self.templateText])
    }

    @Test func answerDoneWhileThinkingIsRefusedAndTheWordingStillCounts() throws {
        var session = Waiting()
        let request = try #require(session.request)
        let refused = session.machine.answerDone(requestID: "9", at: session.clock.advance(100))
        #expect(refused.errors.map(\.code) == [.wrongState])
        #expect(refused.errors.first?.requestID == "9")
        let actions = session.machine.followUpWordingFinished(requestID: request.requestID,
                                                              result: .wording("What did the move cost you in time?"),
                                                              at: session.clock.advance(100))
        #expect(actions.questions.map(\.text) == ["What did the move cost you in time?"])
    }

    @Test func aTemplateWithoutModelInstructionsIsAskedAtOnceEvenWithAModel() {
        var machine = InterviewStateMachine()
        var clock = TestClock()
        _ = machine.start(SessionStartRequest(trackID: "fake", mode: .text), requestID: nil, sessionID: "S", plan: FakePlan(),
                          balanceMs: 600_000, interviewer: Self.interviewer, at: clock.reading)
        _ = machine.answerTextReceived("I did it.", requestID: nil, at: clock.advance(1_000))
        let actions = machine.answerDone(requestID: nil, at: clock.advance(1_000))
        #expect(actions.questions.map(\.text) == [Self.templateText])
        #expect(!actions.contains { if case .requestFollowUpWording = $0 { true } else { false } })
    }

    @Test func theConversationShownToTheModelIsBounded() {
        let long = String(repeating: "word ", count: 1_000)
        let turns = (1...10).map { ConversationTurn(question: "Question \($0)?", answer: long) }
        let bounded = ConversationWindow.bounded(turns)
        #expect(bounded.count <= ConversationWindow.maxTurns)
        #expect(bounded.last?.question == "Question 10?")
        #expect(bounded.allSatisfy { $0.answer.count <= ConversationWindow.maxAnswerCharacters + 1 })
        #expect(bounded.reduce(0) { $0 + $1.question.count + $1.answer.count } <= ConversationWindow.maxCharacters)
    }
}
