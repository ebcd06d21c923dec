import Interview

/// The plan fuzz runs interview with: three main questions, a follow-up when an answer gives no numbers (at most
/// one per question), closing words and a coaching tip, so every branch of the machine can be reached.
public struct FuzzPlan: InterviewPlan {
    public static let track = "fuzz"

    public var trackID: String { Self.track }
    public var trackTitle: String { "Fuzz track" }
    public var mainQuestionCount: Int { 3 }
    /// Short, so time limits and warnings come up within minutes; its limit (90 s) is past the idle end (60 s).
    public var targetAnswerSeconds: Int { 45 }

    public init() {}

    public func mainQuestion(at index: Int) -> PlannedQuestion {
        PlannedQuestion(text: "Main question \(index + 1)?", kind: .main, template: TemplateRef(id: "main\(index)", version: "v1"),
                        topic: "topic\(index)")
    }

    public func followUp(for context: FollowUpContext) -> PlannedQuestion? {
        guard context.followUpsAsked == 0, !context.answer.mentionsNumbers else { return nil }
        return PlannedQuestion(text: "Any numbers on \(context.mainQuestion.topic)?", kind: .followUp,
                               template: TemplateRef(id: "numbers-\(context.mainQuestion.topic)", version: "v1"),
                               topic: context.mainQuestion.topic)
    }

    public func closingRemarks(for summary: SessionSummary) -> String? {
        "Thank you; you answered \(summary.answersGiven) questions."
    }

    public func coachingTip(for measures: LiveMeasures) -> CoachingTip? {
        measures.analysis.fillerCount > 2 ? CoachingTip(id: "fillers", text: "Fewer fillers.") : nil
    }
}
