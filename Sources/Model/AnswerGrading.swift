import Foundation
import Interview

/// How an answer is graded by a model: the rubric's instructions, a JSON schema for the reply (`response_format:
/// json_schema`, which llama.cpp, vLLM and OpenAI enforce while decoding), and the checks on what comes back.
public enum AnswerGrading {
    /// Evidence is a short quotation, not a summary.
    public static let maxEvidenceCharacters = 160

    public enum Rejection: Error, Equatable, CustomStringConvertible {
        case notJSON
        case missing(ScoreCriterion)
        case outOfRange(ScoreCriterion, Int)
        case evidenceNotQuoted(ScoreCriterion)

        public var description: String {
            switch self {
            case .notJSON: "the grade is not the JSON object asked for"
            case .missing(let criterion): "no \(criterion.rawValue) score"
            case .outOfRange(let criterion, let value): "\(criterion.rawValue) score \(value) is outside 0–100"
            case .evidenceNotQuoted(let criterion): "the \(criterion.rawValue) evidence is not a quotation from the answer"
            }
        }
    }

    /// `{"structure": {"score": 0–100, "evidence": "…"}, …}` for each criterion, nothing else.
    public static func schema(criteria: [ScoreCriterion]) -> JSONSchemaFormat {
        let grade: JSONValue = .object([
            "type": .string("object"),
            "properties": .object([
                "score": .object(["type": .string("integer"), "minimum": .integer(0), "maximum": .integer(100)]),
                "evidence": .object(["type": .string("string"), "maxLength": .integer(maxEvidenceCharacters)]),
            ]),
            "required": .array([.string("score"), .string("evidence")]),
            "additionalProperties": .bool(false),
        ])
        return JSONSchemaFormat(name: "answer_grade", schema: .object([
            "type": .string("object"),
            "properties": .object(Dictionary(uniqueKeysWithValues: criteria.map { ($0.rawValue, grade) })),
            "required": .array(criteria.map { .string($0.rawValue) }),
            "additionalProperties": .bool(false),
        ]))
    }

    /// The rubric's criteria with a weight, in their fixed order.
    public static func criteria(of rubric: Rubric) -> [ScoreCriterion] {
        ScoreCriterion.allCases.filter { (rubric.weights[$0] ?? 0) > 0 }
    }

    public static func chatRequest(question: String, answer: String, rubric: Rubric, instructions: ModelPrompt?) -> ChatRequest {
        let criteria = criteria(of: rubric)
        var system = instructions?.system ?? "You grade answers in a practice job interview, fairly and strictly."
        system += """


            Grade the answer on each criterion from 0 to 100: \(criteria.map(\.rawValue).joined(separator: ", ")). \
            For each, quote the few words of the answer your score rests on, exactly as the candidate said them \
            (at most \(maxEvidenceCharacters) characters), or an empty string if the answer has nothing for it. \
            Reply with the JSON object only.
            """
        var user = "Question: \(question)\nAnswer: \(answer)"
        if let extra = instructions?.user, !extra.isEmpty { user += "\n\n" + extra }
        return ChatRequest(messages: [ChatMessage(.system, system), ChatMessage(.user, user)], maxTokens: 400,
                           temperature: 0, jsonSchema: schema(criteria: criteria))
    }

    /// The grade, when it is whole, in range and every piece of evidence is a quotation from the answer.
    public static func parse(_ text: String, answer: String, criteria: [ScoreCriterion]) -> Result<ModelGrade, Rejection> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            return .failure(.notJSON)
        }
        let haystack = normalized(answer)
        var grade = ModelGrade(scores: [:], evidence: [:])
        for criterion in criteria {
            guard let entry = object[criterion.rawValue] as? [String: Any], let score = entry["score"] as? Int else {
                return .failure(.missing(criterion))
            }
            guard (0...100).contains(score) else { return .failure(.outOfRange(criterion, score)) }
            let evidence = (entry["evidence"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\"'“”‘’…."))
            if !evidence.isEmpty, !haystack.contains(normalized(evidence)) { return .failure(.evidenceNotQuoted(criterion)) }
            grade.scores[criterion] = score
            grade.evidence[criterion] = evidence
        }
        return .success(grade)
    }

    /// Lower case, letters and digits only, single spaces: a quotation survives changed punctuation and spacing.
    static func normalized(_ text: String) -> String {
        text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).joined(separator: " ")
    }
}
