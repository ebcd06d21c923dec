import Foundation
import Testing
@testable import Interview

/// The content follow-up: after a strong answer where no rule fired, a track may let the model ask about what the
/// candidate said. Same request, budget and checks as a worded follow-up; with no wording, nothing extra is asked
/// and the interview goes on.
@Suite struct ContentFollowUpTests {
    static let interviewer = ModelInterviewer(modelName: "test-model", budget: ModelLatencyBudget(firstTokenMs: 1_000, totalMs: 2_500))
    static let content = ModelPrompt(system: "Ask about a decision, a trade-off or a number.", user: "Main question: First question?")
    static let strongAnswer = "I moved 40,000 payments a day off the old service, and as a result we saved 30 percent."

    /// A live session whose first (strong) answer has just ended.
    struct Answered {
        var machine = InterviewStateMachine()
        var clock = TestClock()
        var actions: [InterviewAction] = []

        init(questions: [String] = ["First question?", "Second question?"], interviewer: ModelInterviewer? = ContentFollowUpTests.interviewer,
             answer: String = ContentFollowUpTests.strongAnswer) {
            let plan = FakePlan(questions: questions, maxFollowUps: 2, contentPrompt: ContentFollowUpTests.content)
            _ = machine.start(SessionStartRequest(trackID: "fake", mode: .text), requestID: "1", sessionID: "S",
                              plan: plan, balanceMs: 600_000, interviewer: interviewer, at: clock.reading)
            _ = machine.answerTextReceived(answer, requestID: nil, at: clock.advance(5_000))
            actions = machine.answerDone(requestID: nil, at: clock.advance(1_000))
        }

        var request: FollowUpWordingRequest? { ContentFollowUpTests.requests(actions).first }
    }

    static func requests(_ actions: [InterviewAction]) -> [FollowUpWordingRequest] {
        actions.compactMap { if case .requestFollowUpWording(let request) = $0 { request } else { nil } }
    }

    static func cancelled(_ actions: [InterviewAction]) -> [Int] {
        actions.compactMap { if case .cancelModelRequest(let id) = $0 { id } else { nil } }
    }

    static func asked(_ actions: [InterviewAction]) -> [QuestionAsked] {
        actions.records.compactMap { if case .questionAsked(_, let question, _) = $0 { question } else { nil } }
    }

    @Test func withoutAModelAStrongAnswerGoesStraightOn() {
        let session = Answered(interviewer: nil)
        #expect(session.request == nil)
        #expect(session.actions.questions.map(\.text) == ["Second question?"])
    }

    @Test func aRuleThatFiresWinsOverTheContentFollowUp() {
        let session = Answered(answer: "We kept the old payment service alive while we moved off it.")
        #expect(session.request == nil)
        #expect(session.actions.questions.map(\.template.id) == ["ask-numbers"])
    }

    @Test func aStrongAnswerAsksTheModelForAContentFollowUpThroughTheSamePath() throws {
        let session = Answered()
        let request = try #require(session.request)
        #expect(request.template == TemplateRef(id: "content", version: "v3"))
        #expect(request.prompt == Self.content)
        #expect(request.conversation == [ConversationTurn(question: "First question?", answer: Self.strongAnswer)])
        #expect(request.earlierQuestions == ["First question?"])
        #expect(request.maxWords == Self.interviewer.maxWords)
        #expect(request.language == "en")
        #expect(session.actions.questions.isEmpty)
        #expect(session.actions.sent.contains(.interviewerThinking(afterQuestionID: "q1", budgetMs: 2_500)))
        #expect(session.machine.nextDeadlineMs == session.clock.reading.monotonicMs + 1_000)
    }

    @Test func theModelsQuestionIsAskedAndStoredWithItsSourceModelAndTemplateVersion() throws {
        var session = Answered()
        let request = try #require(session.request)
        session.machine.followUpWordingStarted(requestID: request.requestID)
        let wording = "Why did you move the payments off the old service rather than rebuild it?"
        let actions = session.machine.followUpWordingFinished(requestID: request.requestID, result: .wording(wording),
                                                              at: session.clock.advance(1_500))
        let asked = try #require(Self.asked(actions).first)
        #expect(asked.text == wording)
        #expect(asked.kind == .followUp)
        #expect(asked.source == .model)
        #expect(asked.modelName == "test-model")
        #expect(asked.template == TemplateRef(id: "content", version: "v3"))
        #expect(actions.questions.map(\.text) == [wording])
    }

    @Test func atMostOneContentFollowUpPerMainQuestionAndTheNextQuestionMayHaveItsOwn() throws {
        var session = Answered()
        let first = try #require(session.request)
        _ = session.machine.followUpWordingFinished(requestID: first.requestID,
                                                    result: .wording("What made 30 percent the number you aimed for?"),
                                                    at: session.clock.advance(1_000))
        // Another strong answer, to the content follow-up: no rule fires and no second content follow-up comes.
        _ = session.machine.answerTextReceived("I measured 12 weeks of costs, and as a result we cut 3 servers.",
                                               requestID: nil, at: session.clock.advance(3_000))
        let next = session.machine.answerDone(requestID: nil, at: session.clock.advance(1_000))
        #expect(Self.requests(next).isEmpty)
        #expect(next.questions.map(\.text) == ["Second question?"])
        // The next main question may have one again.
        _ = session.machine.answerTextReceived(Self.strongAnswer, requestID: nil, at: session.clock.advance(3_000))
        let second = session.machine.answerDone(requestID: nil, at: session.clock.advance(1_000))
        #expect(Self.requests(second).map(\.template.id) == ["content"])
    }

    @Test func aFailedOrRejectedWordingAsksNothingExtraAndGoesOn() throws {
        var session = Answered()
        let request = try #require(session.request)
        let actions = session.machine.followUpWordingFinished(requestID: request.requestID,
                                                              result: .failed(reason: "rejected: meta-text"),
                                                              at: session.clock.advance(400))
        #expect(actions.questions.map(\.text) == ["Second question?"])
        #expect(Self.asked(actions).map(\.kind) == [.main])
        #expect(Self.cancelled(actions).isEmpty)
    }

    @Test func aLateWordingIsCancelledAtTheBudgetAndTheInterviewGoesOn() throws {
        var session = Answered()
        let request = try #require(session.request)
        session.machine.followUpWordingStarted(requestID: request.requestID)
        #expect(session.machine.timerFired(at: session.clock.advance(2_499)).questions.isEmpty)
        let actions = session.machine.timerFired(at: session.clock.advance(1))
        #expect(Self.cancelled(actions) == [request.requestID])
        #expect(actions.questions.map(\.text) == ["Second question?"])
        #expect(session.machine.followUpWordingFinished(requestID: request.requestID, result: .wording("Too late, what now?"),
                                                        at: session.clock.advance(10)).isEmpty)
    }

    @Test func typingAgainCancelsTheModelAndTheTextAnswersTheNextQuestion() throws {
        var session = Answered()
        let request = try #require(session.request)
        let actions = session.machine.answerTextReceived("Also, the migration took 6 weeks.", requestID: nil,
                                                         at: session.clock.advance(200))
        #expect(Self.cancelled(actions) == [request.requestID])
        #expect(actions.questions.map(\.text) == ["Second question?"])
        let done = session.machine.answerDone(requestID: nil, at: session.clock.advance(2_000))
        let answered = done.records.compactMap { if case .answerGiven(_, let id, let text, _, _, _, _, _, _) = $0 { (id, text) } else { nil } }
        #expect(answered.first?.0 == "q2")
        #expect(answered.first?.1 == "Also, the migration took 6 weeks.")
    }

    @Test func afterTheLastQuestionAFailedWordingCompletesTheInterview() throws {
        var session = Answered(questions: ["Only question?"])
        let request = try #require(session.request)
        let actions = session.machine.followUpWordingFinished(requestID: request.requestID, result: .failed(reason: "status 500"),
                                                              at: session.clock.advance(300))
        #expect(actions.questions.isEmpty)
        #expect(actions.ended?.reason == .completed)
        #expect(actions.ended?.writtenReportPending == true)  // the connection closes after report.written
        #expect(session.machine.endReason == .completed)
    }

    @Test func afterTheLastQuestionSpeakingAgainCompletesTheInterview() throws {
        var session = Answered(questions: ["Only question?"])
        let request = try #require(session.request)
        let actions = session.machine.answerTextReceived("One more thing.", requestID: nil, at: session.clock.advance(300))
        #expect(Self.cancelled(actions) == [request.requestID])
        #expect(actions.ended?.reason == .completed)
        #expect(actions.ended?.summary.answersGiven == 1)
    }

    @Test func endingTheSessionCancelsTheContentFollowUp() throws {
        var session = Answered()
        let request = try #require(session.request)
        let actions = session.machine.endSession(requestID: nil, at: session.clock.advance(300))
        #expect(Self.cancelled(actions) == [request.requestID])
        #expect(actions.questions.isEmpty)
        #expect(actions.ended?.reason == .clientEnded)
    }

    @Test func aDroppedConnectionCancelsItAndAResumeAsksTheNextQuestion() throws {
        var session = Answered()
        let request = try #require(session.request)
        let dropped = session.machine.clientDisconnected(at: session.clock.advance(300), resumable: true)
        #expect(Self.cancelled(dropped) == [request.requestID])
        #expect(dropped.contains(.park(sessionID: "S")))
        let resumed = session.machine.clientResumed(requestID: nil, resumeToken: nil, at: session.clock.advance(5_000))
        #expect(resumed.questions.map(\.text) == ["Second question?"])
    }

    @Test func aDropAfterTheLastQuestionCompletesTheInterviewWithoutSendingAnything() throws {
        var session = Answered(questions: ["Only question?"])
        let request = try #require(session.request)
        let dropped = session.machine.clientDisconnected(at: session.clock.advance(300), resumable: true)
        #expect(Self.cancelled(dropped) == [request.requestID])
        #expect(dropped.sent.isEmpty)
        #expect(dropped.closeCode == nil)
        #expect(dropped.records.contains { if case .sessionEnded(_, .completed, _, _, _) = $0 { true } else { false } })
    }
}
