import Interview

/// A track's interview as the state machine follows it: main questions in the track's order, follow-ups chosen by
/// condition, and the closing words.
public struct TrackPlan: InterviewPlan {
    public let track: Track
    let questions: [PromptTemplate]
    /// Follow-ups that may serve this track, best first: highest priority, then id for a stable order.
    let followUps: [PromptTemplate]
    let closings: [PromptTemplate]
    let tips: [PromptTemplate]
    let rubricTemplate: PromptTemplate?
    let contentTemplate: PromptTemplate?

    /// `everyQuestion` keeps all questions in file order, for previews and example tests that name any of them.
    init(track: Track, library: PromptLibrary, seed: UInt64, everyQuestion: Bool = false) {
        self.track = track
        var questions = track.questionIDs.compactMap { library.templates[$0] }
        if !everyQuestion {
            if track.order == .shuffled {
                var generator = SeededGenerator(seed: seed)
                questions.shuffle(using: &generator)
            }
            questions = Array(questions.prefix(track.questionsPerSession))
        }
        self.questions = questions
        let serving = { (template: PromptTemplate) in template.track == nil || template.track == track.id }
        let bestFirst = { (a: PromptTemplate, b: PromptTemplate) in (a.priority, b.id) > (b.priority, a.id) }
        followUps = library.templates.values.filter { $0.kind == .followUp && serving($0) }.sorted(by: bestFirst)
        closings = library.templates.values.filter { $0.kind == .closing && serving($0) }.sorted(by: bestFirst)
        tips = library.templates.values.filter { $0.kind == .coachingTip && serving($0) }.sorted(by: bestFirst)
        rubricTemplate = track.rubric.flatMap { library.templates[$0] }
        contentTemplate = track.contentFollowUp.flatMap { library.templates[$0] }
    }

    public var trackID: String { track.id }
    public var trackTitle: String { track.title }
    public var mainQuestionCount: Int { questions.count }
    public var targetAnswerSeconds: Int { track.targetAnswerSeconds }

    /// The main question with this template id, if the plan asks it.
    public func mainQuestion(id: String) -> PlannedQuestion? {
        questions.firstIndex { $0.id == id }.map(mainQuestion(at:))
    }

    public func mainQuestion(at index: Int) -> PlannedQuestion {
        let template = questions[index]
        let topic = template.topic ?? template.id
        return PlannedQuestion(text: template.render(["topic": topic, "track_title": track.title]), kind: .main,
                               template: template.ref, topic: topic)
    }

    public func followUp(for context: FollowUpContext) -> PlannedQuestion? {
        guard let chosen = chosenFollowUp(for: context) else { return nil }
        let values = TemplateInputs.values(for: context, trackTitle: track.title)
        let instructions = context.wantsModelInstructions ? chosen.model.map { _ in chosen.renderModelInstructions(values) } : nil
        return PlannedQuestion(text: chosen.render(values), kind: .followUp, template: chosen.ref,
                               topic: context.mainQuestion.topic,
                               modelPrompt: instructions.map { ModelPrompt(system: $0.system, user: $0.user) })
    }

    /// The track's content follow-up when its conditions hold and the track's limit of follow-ups per question is
    /// not reached. Its text is the floor for nothing: with no wording the interview goes on.
    public func contentFollowUp(for context: FollowUpContext) -> PlannedQuestion? {
        guard let template = contentTemplate, template.model != nil, context.followUpsAsked < track.maxFollowUps,
              template.conditions.allSatisfy({ $0.holds(in: context) }) else { return nil }
        let rendered = template.renderModelInstructions(TemplateInputs.values(for: context, trackTitle: track.title))
        return PlannedQuestion(text: "", kind: .followUp, template: template.ref, topic: context.mainQuestion.topic,
                               modelPrompt: ModelPrompt(system: rendered.system, user: rendered.user))
    }

    public var silenceSeconds: Double { track.silenceSeconds }
    public var answerTimeLimitSeconds: Int { track.answerTimeLimitSeconds }

    public var rubric: (rubric: Rubric, template: TemplateRef) {
        guard let template = rubricTemplate, let rubric = template.rubric else {
            return (Rubric.standard, TemplateRef(id: Rubric.standard.id, version: Rubric.standard.version))
        }
        return (rubric, template.ref)
    }

    public var rubricModelPrompt: ModelPrompt? {
        guard let template = rubricTemplate, template.model != nil else { return nil }
        let rendered = template.renderModelInstructions(["track_title": track.title])
        return ModelPrompt(system: rendered.system, user: rendered.user)
    }

    /// The highest-priority tip whose conditions all hold.
    public func coachingTip(for measures: LiveMeasures) -> CoachingTip? {
        // By index: `first(where:)` would copy each template it looks at (a dozen retains), once a second per answer.
        guard let index = tips.indices.first(where: { tips[$0].coachingConditions.allSatisfy { $0.holds(in: measures) } })
        else { return nil }
        let tip = tips[index]
        return CoachingTip(id: tip.id, text: tip.render(TemplateInputs.values(for: measures, trackTitle: track.title)))
    }

    public func closingRemarks(for summary: SessionSummary) -> String? {
        closings.first?.render(TemplateInputs.values(for: summary, trackTitle: track.title))
    }

    /// The follow-up the selector picks and the conditions that held for it, or nil when none applies.
    public func selectFollowUp(for context: FollowUpContext) -> (template: PromptTemplate, conditions: [FollowUpCondition])? {
        chosenFollowUp(for: context).map { ($0, $0.conditions) }
    }

    /// Why each follow-up was or was not picked, in the order the selector considers them.
    public struct Consideration: Sendable {
        public var template: PromptTemplate
        /// Nil when it was eligible; otherwise the reason it was passed over.
        public var passedOver: String?
        public var conditionsHeld: [FollowUpCondition]
    }

    /// The selector: the highest-priority follow-up whose conditions hold, on the question's topic, not yet used
    /// in this session, while the track's limit of follow-ups per question is not reached.
    public func chosenFollowUp(for context: FollowUpContext) -> PromptTemplate? {
        // By index, and without the reasons `explainFollowUp` words: this runs at the end of every answer.
        followUps.indices.first { passOver(followUps[$0], for: context) == nil }.map { followUps[$0] }
    }

    /// The selector's choice, and why each follow-up was or was not picked, in the order it considers them.
    public func explainFollowUp(for context: FollowUpContext) -> (chosen: PromptTemplate?, considered: [Consideration]) {
        var considered: [Consideration] = []
        var chosen: PromptTemplate?
        for template in followUps {
            var reason = passOver(template, for: context)?.description
            if reason == nil, chosen != nil { reason = "a higher-priority follow-up was chosen" }
            if reason == nil { chosen = template }
            considered.append(Consideration(template: template, passedOver: reason,
                                            conditionsHeld: template.conditions.filter { $0.holds(in: context) }))
        }
        return (chosen, considered)
    }

    /// Why the selector passes over a follow-up whatever else is eligible.
    private enum PassOver: CustomStringConvertible {
        case limitReached(Int)
        case alreadyAsked
        case otherTopics([String])
        case conditionFails(FollowUpCondition)

        var description: String {
            switch self {
            case .limitReached(let limit): "the track allows \(limit) follow-up\(limit == 1 ? "" : "s") per question"
            case .alreadyAsked: "already asked in this session"
            case .otherTopics(let topics): "only for topics \(topics.joined(separator: ", "))"
            case .conditionFails(let condition): "\(condition.rawValue) does not hold"
            }
        }
    }

    /// Nil when `template` is eligible; the first reason it is not, in the order authors read them.
    private func passOver(_ template: PromptTemplate, for context: FollowUpContext) -> PassOver? {
        if context.followUpsAsked >= track.maxFollowUps { return .limitReached(track.maxFollowUps) }
        if context.usedTemplates.contains(template.id) { return .alreadyAsked }
        if !template.topics.isEmpty, !template.topics.contains(context.mainQuestion.topic) {
            return .otherTopics(template.topics)
        }
        if let failed = template.conditions.first(where: { !$0.holds(in: context) }) { return .conditionFails(failed) }
        return nil
    }
}

/// SplitMix64: a small deterministic generator, so a session's question order follows from its seed alone.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
