import Interview
import Mustache

/// One `.prompt` file: its header and its Mustache body, checked and ready to render.
public struct PromptTemplate: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case question
        case followUp = "follow-up"
        case closing
    }

    /// A declared input: the only variables a body may use.
    public struct Input: Sendable, Equatable {
        public var name: String
        public var required: Bool
        public var defaultValue: String?
    }

    public var id: String
    public var kind: Kind
    /// The track it belongs to, or nil for a template any track may use.
    public var track: String?
    public var topic: String?
    public var description: String?
    public var conditions: [FollowUpCondition]
    /// Higher wins when several follow-ups apply.
    public var priority: Int
    public var inputs: [Input]
    public var body: String
    /// A short hash of the file's content; stored with every question the template produced.
    public var version: String
    public var file: String
    let mustache: MustacheTemplate

    public var ref: TemplateRef { TemplateRef(id: id, version: version) }

    /// Renders the body. Missing required inputs are caught when the file is loaded, so this cannot fail.
    public func render(_ values: [String: String]) -> String {
        var context: [String: String] = [:]
        for input in inputs {
            if let value = values[input.name] ?? input.defaultValue { context[input.name] = value }
        }
        return mustache.render(context).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The values the engine offers to a template; a template declares which of them it uses.
public enum TemplateInputs {
    public static let known: [String: String] = [
        "topic": "the topic of the main question, e.g. \"conflict\"",
        "question": "the text of the main question",
        "word_count": "how many words the answer had",
        "filler_count": "how many filler words the answer had",
    ]

    static func values(for context: FollowUpContext) -> [String: String] {
        [
            "topic": context.mainQuestion.topic,
            "question": context.mainQuestion.text,
            "word_count": String(context.answer.wordCount),
            "filler_count": String(context.answer.fillerCount),
        ]
    }
}
