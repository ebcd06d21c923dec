import Interview
import Yams

/// What an example test may assert about a model's wording of its follow-up (`model_output:` under `expect`), checked
/// when the examples run against a model; without one, only the template path is checked.
public enum ModelOutputProperty: Sendable, Equatable, CustomStringConvertible {
    case endsWithQuestionMark
    case maxWords(Int)
    /// At least one word of the answer that carries meaning (four letters or more, not a common word) is in the
    /// question, so it is about what the candidate said.
    case mentionsAnswer
    /// The phrase is not in the question (ignoring case).
    case excludes(String)

    public var description: String {
        switch self {
        case .endsWithQuestionMark: "ends with a question mark"
        case .maxWords(let limit): "at most \(limit) words"
        case .mentionsAnswer: "mentions something from the answer"
        case .excludes(let phrase): "does not contain \"\(phrase)\""
        }
    }

    /// Why `text` fails this property for `answer`, or nil when it holds.
    public func failure(in text: String, answer: String) -> String? {
        let words = Self.words(text)
        switch self {
        case .endsWithQuestionMark:
            return text.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("?") ? nil : "it does not end with a question mark"
        case .maxWords(let limit):
            return words.count <= limit ? nil : "it has \(words.count) words, more than \(limit)"
        case .mentionsAnswer:
            let offered = Set(Self.words(answer).filter { $0.count >= 4 && !Self.commonWords.contains($0) })
            return offered.isDisjoint(with: words) ? "it names nothing from the answer (no word of it such as \(offered.sorted().prefix(5).map { "\"\($0)\"" }.joined(separator: ", ")))" : nil
        case .excludes(let phrase):
            return text.localizedCaseInsensitiveContains(phrase) ? "it contains \"\(phrase)\"" : nil
        }
    }

    static func words(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "'" }).map(String.init)
    }

    /// Words of four letters or more that say nothing about a particular answer.
    static let commonWords: Set<String> = [
        "about", "after", "again", "also", "because", "been", "before", "being", "could", "did", "does", "doing",
        "each", "even", "every", "first", "from", "have", "having", "into", "just", "last", "later", "like", "made",
        "make", "more", "most", "much", "next", "only", "other", "over", "same", "still", "time",
        "really", "some", "that", "their", "them", "then", "there", "these", "they", "thing", "things", "this",
        "those", "through", "very", "want", "well", "went", "were", "what", "when", "where", "which", "while", "with",
        "would", "your", "you're",
    ]

    static let fields: Set<String> = ["ends_with_question_mark", "max_words", "mentions_answer", "excludes"]

    /// Reads `model_output:`: `ends_with_question_mark: true`, `max_words: N`, `mentions_answer: true`,
    /// `excludes: [phrase, …]`.
    static func parse(_ node: Node, in reader: FieldReader) throws(PromptDiagnostic) -> [ModelOutputProperty] {
        guard let mapping = node.mapping, !mapping.isEmpty else {
            throw reader.error(at: node, "\"model_output\" maps properties to check, e.g. {ends_with_question_mark: true, max_words: 30}")
        }
        let fields = FieldReader(mapping: mapping, path: reader.path, lineOffset: reader.lineOffset, fallbackLine: reader.position(of: node).line)
        if let unknown = fields.unknownKeys(allowed: Self.fields).first { throw unknown }
        var properties: [ModelOutputProperty] = []
        for key in ["ends_with_question_mark", "mentions_answer"] {
            guard let flag = fields.node(key) else { continue }
            guard flag.bool == true else { throw fields.error(at: flag, "\"\(key)\" can only be true; leave it out to not check it") }
            properties.append(key == "ends_with_question_mark" ? .endsWithQuestionMark : .mentionsAnswer)
        }
        if fields.node("max_words") != nil { properties.append(.maxWords(try fields.int("max_words", default: 0, range: 1...200))) }
        for (phrase, node) in try fields.strings("excludes") {
            guard !phrase.trimmingCharacters(in: .whitespaces).isEmpty else { throw fields.error(at: node, "an excluded phrase cannot be empty") }
            properties.append(.excludes(phrase))
        }
        return properties
    }
}
