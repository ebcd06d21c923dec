import Interview
import Mustache

/// One `.prompt` file: its header and its Mustache body, checked and ready to render.
public struct PromptTemplate: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case question
        case followUp = "follow-up"
        /// What a model may ask about a strong answer when no rule fired, on tracks that name it
        /// (`content_follow_up`): only ever asked in the model's words, so its `model:` part is required and its
        /// text is a note for authors.
        case contentFollowUp = "content-follow-up"
        case coachingTip = "coaching-tip"
        case rubric
        case closing
        /// A shared fragment other templates include with `{{> id}}`.
        case partial
    }

    /// A declared input: the only variables a body may use.
    public struct Input: Sendable, Equatable {
        public enum ValueType: String, Sendable, CaseIterable {
            case string, number
        }
        public var name: String
        public var type: ValueType
        public var required: Bool
        public var defaultValue: String?
    }

    /// The instructions a language model would get to generate this text; the built-in interviewer uses `body`.
    public struct ModelInstructions: Sendable {
        public var system: String?
        public var user: String?
        let systemTemplate: MustacheTemplate?
        let userTemplate: MustacheTemplate?
    }

    public var id: String
    public var kind: Kind
    /// The track it belongs to, or nil for a template every track may use.
    public var track: String?
    /// A question's topic, e.g. "conflict".
    public var topic: String?
    /// For follow-ups and tips: only after questions with one of these topics (empty: any topic).
    public var topics: [String]
    /// Where each entry of `topics` stands in the file.
    let topicPositions: [(line: Int, column: Int)]
    /// Where the `id` value stands in the file, for errors found across files.
    let idPosition: (line: Int, column: Int)
    /// Where the `track` value stands, when there is one.
    let trackPosition: (line: Int, column: Int)?
    public var description: String?
    public var conditions: [FollowUpCondition]
    /// A coaching tip's conditions (its `when:` list).
    public var coachingConditions: [CoachingCondition] = []
    /// A rubric's scoring rules.
    public var rubric: Rubric?
    /// Higher wins when several templates apply.
    public var priority: Int
    public var inputs: [Input]
    public var body: String
    public var model: ModelInstructions?
    /// The partials the body and model parts include, where they do it.
    let partialUses: [TemplateBodyChecker.TagUse]
    /// Ids of the partials the body and model parts include.
    public var partialsUsed: [String] { partialUses.map(\.name) }
    /// A short hash of the file's content; stored with every question the template produced.
    public var version: String
    public var file: String
    let mustache: MustacheTemplate
    /// The library's partials, attached once every file is loaded.
    var partials = MustacheLibrary()

    public var ref: TemplateRef { TemplateRef(id: id, version: version) }

    /// Renders the body with the declared inputs (defaults filling gaps). Undeclared values are ignored.
    public func render(_ values: [String: String]) -> String {
        String(mustache.render(context(values), library: partials).trimmedOfWhitespace)
    }

    /// Renders the model instructions, when the template has them.
    public func renderModelInstructions(_ values: [String: String]) -> (system: String?, user: String?) {
        let context = context(values)
        return (model?.systemTemplate.map { String($0.render(context, library: partials).trimmedOfWhitespace) },
                model?.userTemplate.map { String($0.render(context, library: partials).trimmedOfWhitespace) })
    }

    private func context(_ values: [String: String]) -> [String: String] {
        var context: [String: String] = [:]
        for input in inputs {
            if let value = values[input.name] ?? input.defaultValue { context[input.name] = value }
        }
        return context
    }
}
