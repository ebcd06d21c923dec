import Foundation
import Testing
@testable import Interview

/// The model's grades: requested after the rules' score (the interview does not wait), sent as a second
/// `answer.scored` with `scored_by: model` and the rules' scores beside, stored, and used by the report.
@Suite struct ModelGradingTests {
    static let plan = FakePlan(rubricModelPrompt: ModelPrompt(system: "Grade strictly.", user: nil))
    static let answer = "At my last job I cut our build time from 40 to 12 minutes by caching dependencies."

    struct Graded {
        var machine = InterviewStateMachine()
        var clock = TestClock()
        var actions: [InterviewAction] = []

        init(interviewer: ModelInterviewer? = ModelFollowUpTests.interviewer, plan: FakePlan = ModelGradingTests.plan) {
            _ = machine.start(SessionStartRequest(trackID: "fake", mode: .text), requestID: nil, sessionID: "S", plan: plan,
                              balanceMs: 600_000, interviewer: interviewer, at: clock.reading)
            _ = machine.answerTextReceived(ModelGradingTests.answer, requestID: nil, at: clock.advance(5_000))
            actions = machine.answerDone(requestID: nil, at: clock.advance(1_000))
        }

        var request: AnswerGradeRequest? {
            actions.compactMap { if case .requestAnswerGrade(let request) = $0 { request } else { nil } }.first
        }
    }

    static let grade = ModelGrade(
        scores: [.structure: 50, .specificity: 90, .relevance: 80, .concision: 70, .delivery: 60],
        evidence: [.specificity: "cut our build time from 40 to 12 minutes", .structure: "", .relevance: "caching dependencies",
                   .concision: "", .delivery: ""])

    static func scored(_ actions: [InterviewAction]) -> [AnswerScore] {
        actions.sent.compactMap { if case .answerScored(let score) = $0 { score } else { nil } }
    }

    @Test func theRulesScoreComesFirstAndTheModelIsAskedBesideTheNextQuestion() throws {
        let session = Graded()
        let rules = try #require(Self.scored(session.actions).first)
        #expect(rules.scoredBy == .rules)
        #expect(rules.rules == nil)
        let request = try #require(session.request)
        #expect(request.questionID == "q1")
        #expect(request.question == "First question?")
        #expect(request.answer == Self.answer)
        #expect(request.prompt.system == "Grade strictly.")
        #expect(!session.actions.questions.isEmpty)  // the interview went on
    }

    @Test func theModelsGradeIsSentStoredAndKeepsTheRulesBeside() throws {
        var session = Graded()
        let request = try #require(session.request)
        let rules = try #require(Self.scored(session.actions).first)
        let actions = session.machine.answerGraded(requestID: request.requestID, grade: Self.grade, at: session.clock.advance(2_000))
        let score = try #require(Self.scored(actions).first)
        #expect(score.scoredBy == .model)
        #expect(score.questionID == "q1")
        #expect(score.scores[.specificity] == 90)
        #expect(score.rules == rules.scores)
        #expect(score.evidence[.specificity] == "\u{201C}cut our build time from 40 to 12 minutes\u{201D}")
        #expect(score.strength.criterion == .specificity)
        #expect(score.improvement.criterion == .structure)
        // 50·0.25 + 90·0.25 + 80·0.15 + 70·0.15 + 60·0.2 over 1.0
        #expect(score.overall == 70)
        #expect(actions.records == [.answerRescored(sessionID: "S", questionID: "q1", score: score)])
        // The report at the end uses it.
        let ended = session.machine.endSession(requestID: nil, at: session.clock.advance(1_000))
        #expect(ended.ended?.report?.questions.first?.overall == 70)
    }

    @Test func aFailedGradeLeavesTheRulesScoreAndALateOneChangesNothing() throws {
        var session = Graded()
        let request = try #require(session.request)
        #expect(session.machine.answerGraded(requestID: request.requestID, grade: nil, at: session.clock.advance(500)).isEmpty)
        #expect(session.machine.answerGraded(requestID: request.requestID, grade: Self.grade, at: session.clock.advance(500)).isEmpty)
    }

    @Test func endingTheSessionCancelsGradesStillOut() throws {
        var session = Graded()
        let request = try #require(session.request)
        let ended = session.machine.endSession(requestID: nil, at: session.clock.advance(100))
        #expect(ended.contains(.cancelModelRequest(requestID: request.requestID)))
        #expect(ended.ended?.report?.questions.first?.overall == Self.scored(session.actions).first?.overall)
    }

    @Test func theEndAsksTheModelToWriteTheReport() throws {
        var session = Graded()
        let ended = session.machine.endSession(requestID: nil, at: session.clock.advance(1_000))
        let request = try #require(ended.compactMap { if case .requestReportWriting(let r) = $0 { r } else { nil } }.first)
        #expect(request.sessionID == "S")
        #expect(request.trackTitle == "Fake track")
        #expect(request.conversation == [ConversationTurn(question: "First question?", answer: Self.answer)])
        #expect(request.report == ended.ended?.report)
        var without = Graded(interviewer: nil)
        let plain = without.machine.endSession(requestID: nil, at: without.clock.advance(1_000))
        #expect(!plain.contains { if case .requestReportWriting = $0 { true } else { false } })
    }

    @Test func withoutAModelOrRubricInstructionsNothingIsAsked() {
        #expect(Graded(interviewer: nil).request == nil)
        #expect(Graded(plan: FakePlan()).request == nil)
    }
}
