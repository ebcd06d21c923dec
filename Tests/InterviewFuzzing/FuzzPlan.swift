import Interview

/// The plan fuzz runs interview with: three main questions, a follow-up when an answer gives no numbers (at most
/// one per question), closing words and a coaching tip, so every branch of the machine can be reached.
///
/// On `modelTrack` the session has a model interviewer and every template has `model:` instructions: follow-ups
/// wait for the model's wording, an answer with numbers gets a content follow-up, answers are graded by the model
/// and the report is written by it, so the machine's model requests and their late, failed or missing answers are
/// reached too.
public struct FuzzPlan: InterviewPlan {
    public static let track = "fuzz"
    public static let modelTrack = "fuzz-model"
    /// The interviewer of `modelTrack` sessions: the production budgets and report wait.
    public static let interviewer = ModelInterviewer(modelName: "fuzz-llm")

    /// Whether this is the model interviewer's plan.
    public let worded: Bool

    public var trackID: String { worded ? Self.modelTrack : Self.track }
    public var trackTitle: String { "Fuzz track" }
    public var mainQuestionCount: Int { 3 }
    /// Short, so time limits and warnings come up within minutes; its limit (90 s) is past the idle end (60 s).
    public var targetAnswerSeconds: Int { 45 }

    public init(worded: Bool = false) {
        self.worded = worded
    }

    /// The plan for a `session.start` naming `track`; nil for an unknown track.
    public init?(track: String) {
        switch track {
        case Self.track: self.init()
        case Self.modelTrack: self.init(worded: true)
        default: return nil
        }
    }

    private var prompt: ModelPrompt? { worded ? ModelPrompt(system: "You are an interviewer.", user: "Ask a follow-up.") : nil }

    public func mainQuestion(at index: Int) -> PlannedQuestion {
        PlannedQuestion(text: "Main question \(index + 1)?", kind: .main, template: TemplateRef(id: "main\(index)", version: "v1"),
                        topic: "topic\(index)")
    }

    public func followUp(for context: FollowUpContext) -> PlannedQuestion? {
        guard context.followUpsAsked == 0, !context.answer.mentionsNumbers else { return nil }
        return PlannedQuestion(text: "Any numbers on \(context.mainQuestion.topic)?", kind: .followUp,
                               template: TemplateRef(id: "numbers-\(context.mainQuestion.topic)", version: "v1"),
                               topic: context.mainQuestion.topic, modelPrompt: prompt)
    }

    public func contentFollowUp(for context: FollowUpContext) -> PlannedQuestion? {
        guard worded else { return nil }
        return PlannedQuestion(text: "Tell me more about \(context.mainQuestion.topic).", kind: .followUp,
                               template: TemplateRef(id: "content-\(context.mainQuestion.topic)", version: "v1"),
                               topic: context.mainQuestion.topic, modelPrompt: prompt)
    }

    public func closingRemarks(for summary: SessionSummary) -> String? {
        "Thank you; you answered \(summary.answersGiven) questions."
    }

    public func coachingTip(for measures: LiveMeasures) -> CoachingTip? {
        measures.analysis.fillerCount > 2 ? CoachingTip(id: "fillers", text: "Fewer fillers.") : nil
    }

    public var rubricModelPrompt: ModelPrompt? { worded ? ModelPrompt(system: "You grade answers.", user: "Grade it.") : nil }
}
