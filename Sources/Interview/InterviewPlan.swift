/// A question the interviewer is about to ask, with the template that produced it.
public struct PlannedQuestion: Sendable, Equatable {
    public var text: String
    public var kind: QuestionKind
    public var template: TemplateRef
    /// The topic of the main question, e.g. "conflict"; follow-ups inherit it.
    public var topic: String
    /// The template's `model:` instructions, rendered: a model interviewer words the question from these.
    public var modelPrompt: ModelPrompt?

    public init(text: String, kind: QuestionKind, template: TemplateRef, topic: String, modelPrompt: ModelPrompt? = nil) {
        self.text = text
        self.kind = kind
        self.template = template
        self.topic = topic
        self.modelPrompt = modelPrompt
    }
}

/// What the follow-up selector knows when the candidate has finished an answer.
public struct FollowUpContext: Sendable {
    public var mainQuestion: PlannedQuestion
    public var answerText: String
    public var answer: AnswerAnalysis
    /// Follow-ups already asked about this main question.
    public var followUpsAsked: Int
    /// Ids of every follow-up template already used in this session; a template is never repeated.
    public var usedTemplates: Set<String>
    /// How long an answer should take on this track.
    public var targetAnswerSeconds: Int
    /// Whether the session's interviewer words follow-ups with a model. Only then does the plan render a chosen
    /// follow-up's `model:` instructions: rendering them at every turn's end cost more than choosing the follow-up.
    public var wantsModelInstructions: Bool

    public init(mainQuestion: PlannedQuestion, answerText: String, answer: AnswerAnalysis, followUpsAsked: Int,
                usedTemplates: Set<String>, targetAnswerSeconds: Int = 120, wantsModelInstructions: Bool = true) {
        self.mainQuestion = mainQuestion
        self.answerText = answerText
        self.answer = answer
        self.followUpsAsked = followUpsAsked
        self.usedTemplates = usedTemplates
        self.targetAnswerSeconds = targetAnswerSeconds
        self.wantsModelInstructions = wantsModelInstructions
    }
}

/// The interview a track describes, as the state machine sees it. The Prompts module builds one from the
/// templates; tests build their own. Implementations are pure: same input, same question.
public protocol InterviewPlan: Sendable {
    var trackID: String { get }
    var trackTitle: String { get }
    var mainQuestionCount: Int { get }
    /// How long an answer should take; live feedback measures against it.
    var targetAnswerSeconds: Int { get }
    func mainQuestion(at index: Int) -> PlannedQuestion
    /// The follow-up to ask after this answer, or nil to move on.
    func followUp(for context: FollowUpContext) -> PlannedQuestion?
    /// When no rule fired: the content follow-up the track lets a model ask about this answer (its `model:`
    /// instructions; its text is never asked), or nil. Only a session with a model interviewer asks it.
    func contentFollowUp(for context: FollowUpContext) -> PlannedQuestion?
    /// What the interviewer says when the interview is over, if anything.
    func closingRemarks(for summary: SessionSummary) -> String?
    /// Silence after speech that ends a spoken answer.
    var silenceSeconds: Double { get }
    /// The longest an answer may take; the turn ends there.
    var answerTimeLimitSeconds: Int { get }
    /// The one tip live coaching shows now, if any.
    func coachingTip(for measures: LiveMeasures) -> CoachingTip?
    /// How answers are scored, and the template it came from.
    var rubric: (rubric: Rubric, template: TemplateRef) { get }
    /// The rubric template's `model:` instructions: with them, a session's model grades each answer too.
    var rubricModelPrompt: ModelPrompt? { get }
    /// What the interviewer says after a long silence following a question (`number` counts from 1).
    func nudge(number: Int) -> String
}

extension InterviewPlan {
    public func closingRemarks(for summary: SessionSummary) -> String? { nil }
    public func contentFollowUp(for context: FollowUpContext) -> PlannedQuestion? { nil }
    public var silenceSeconds: Double { 2.5 }
    public var answerTimeLimitSeconds: Int { targetAnswerSeconds * 2 }
    public func coachingTip(for measures: LiveMeasures) -> CoachingTip? { nil }
    public var rubric: (rubric: Rubric, template: TemplateRef) { (Rubric.standard, TemplateRef(id: "standard", version: "builtin")) }
    public var rubricModelPrompt: ModelPrompt? { nil }
    public func nudge(number: Int) -> String {
        number == 1 ? "Take your time. Whenever you're ready, start with the situation you have in mind."
                    : "Are you still there? Start whenever you're ready, or end the session if you need to stop."
    }
}
