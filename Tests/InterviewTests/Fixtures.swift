import Foundation
@testable import Interview

/// A plan with fixed questions and one follow-up rule: ask for numbers once per question when none were given.
struct FakePlan: InterviewPlan {
    var trackID = "fake"
    var trackTitle = "Fake track"
    var questions = ["First question?", "Second question?"]
    var targetAnswerSeconds = 60
    var maxFollowUps = 1
    /// The follow-up's `model:` instructions, for sessions with a model interviewer.
    var modelPrompt: ModelPrompt?
    /// The rubric's `model:` instructions, for sessions whose model grades answers.
    var rubricModelPrompt: ModelPrompt?
    /// The content follow-up's `model:` instructions: after an answer with numbers (where the rule above does not
    /// fire), a model interviewer may ask about it.
    var contentPrompt: ModelPrompt?

    var mainQuestionCount: Int { questions.count }

    func mainQuestion(at index: Int) -> PlannedQuestion {
        PlannedQuestion(text: questions[index], kind: .main, template: TemplateRef(id: "q\(index)", version: "v1"),
                        topic: "topic\(index)")
    }

    func followUp(for context: FollowUpContext) -> PlannedQuestion? {
        guard context.followUpsAsked < maxFollowUps, !context.answer.mentionsNumbers,
              !context.usedTemplates.contains("ask-numbers") else { return nil }
        return PlannedQuestion(text: "Any numbers on \(context.mainQuestion.topic)?", kind: .followUp,
                               template: TemplateRef(id: "ask-numbers", version: "v2"), topic: context.mainQuestion.topic,
                               modelPrompt: modelPrompt)
    }

    func contentFollowUp(for context: FollowUpContext) -> PlannedQuestion? {
        guard let contentPrompt, context.followUpsAsked < maxFollowUps, context.answer.mentionsNumbers else { return nil }
        return PlannedQuestion(text: "", kind: .followUp, template: TemplateRef(id: "content", version: "v3"),
                               topic: context.mainQuestion.topic, modelPrompt: contentPrompt)
    }
}

/// A clock the tests move by hand.
struct TestClock {
    var reading = ClockReading(monotonicMs: 1_000_000, wall: Date(timeIntervalSince1970: 1_800_000_000))

    mutating func advance(_ ms: Int64) -> ClockReading {
        reading = reading.advanced(byMs: ms)
        return reading
    }
}

extension Array where Element == InterviewAction {
    var sent: [ServerMessage] {
        compactMap { if case .send(let message) = $0 { message } else { nil } }
    }

    var records: [SessionRecord] {
        compactMap { if case .record(let record) = $0 { record } else { nil } }
    }

    var questions: [QuestionAsked] {
        sent.compactMap { if case .question(let question) = $0 { question } else { nil } }
    }

    var errors: [ProtocolError] {
        sent.compactMap { if case .error(let error) = $0 { error } else { nil } }
    }

    var feedback: [LiveFeedback] {
        sent.compactMap { if case .feedbackLive(let feedback) = $0 { feedback } else { nil } }
    }

    var ended: SessionEnded? {
        sent.compactMap { if case .sessionEnded(let ended) = $0 { ended } else { nil } }.first
    }

    var settledUsage: Int64 {
        compactMap { if case .settleUsage(_, let ms) = $0 { ms } else { nil } }.reduce(0, +)
    }

    var closeCode: UInt16? {
        compactMap { if case .close(let code, _) = $0 { code } else { nil } }.first
    }
}
