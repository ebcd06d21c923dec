import Interview

/// A track's interview as the state machine follows it: main questions in order, follow-ups chosen by condition.
public struct TrackPlan: InterviewPlan {
    public let track: Track
    let questions: [PromptTemplate]
    /// Follow-ups that may serve this track, best first: highest priority, then id for a stable order.
    let followUps: [PromptTemplate]

    init(track: Track, library: PromptLibrary) {
        self.track = track
        questions = track.questionIDs.compactMap { library.templates[$0] }
        followUps = library.templates.values
            .filter { $0.kind == .followUp && ($0.track == nil || $0.track == track.id) }
            .sorted { ($0.priority, $1.id) > ($1.priority, $0.id) }
    }

    public var trackID: String { track.id }
    public var trackTitle: String { track.title }
    public var mainQuestionCount: Int { questions.count }
    public var targetAnswerSeconds: Int { track.targetAnswerSeconds }

    public func mainQuestion(at index: Int) -> PlannedQuestion {
        let template = questions[index]
        let topic = template.topic ?? template.id
        return PlannedQuestion(text: template.render(["topic": topic]), kind: .main, template: template.ref, topic: topic)
    }

    public func followUp(for context: FollowUpContext) -> PlannedQuestion? {
        guard context.followUpsAsked < track.maxFollowUps else { return nil }
        guard let chosen = selectFollowUp(for: context) else { return nil }
        return PlannedQuestion(text: chosen.template.render(TemplateInputs.values(for: context)), kind: .followUp,
                               template: chosen.template.ref, topic: context.mainQuestion.topic)
    }

    /// The follow-up the selector picks and the conditions that held for it, or nil when none applies.
    public func selectFollowUp(for context: FollowUpContext) -> (template: PromptTemplate, conditions: [FollowUpCondition])? {
        for template in followUps where !context.usedTemplates.contains(template.id) {
            if template.topic == nil || template.topic == context.mainQuestion.topic,
               template.conditions.allSatisfy({ $0.holds(in: context) }) {
                return (template, template.conditions)
            }
        }
        return nil
    }
}
