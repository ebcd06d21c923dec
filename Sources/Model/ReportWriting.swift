import Foundation
import Interview

/// How the end report's words are asked of a model: the conversation and the scores in, a short summary and three
/// concrete things to practise out, as JSON under a schema, checked like a follow-up's wording (no notes, English).
public enum ReportWriting {
    public static let maxSummaryCharacters = 600
    public static let maxPractiseCharacters = 200

    public enum Rejection: Error, Equatable, CustomStringConvertible {
        case notJSON
        case empty
        case notThreeThingsToPractise
        case metaText
        case wrongLanguage
        /// Longer than the schema allows: a server that does not enforce the schema can still send it.
        case tooLong

        public var description: String {
            switch self {
            case .notJSON: "the report is not the JSON object asked for"
            case .empty: "the summary is empty"
            case .notThreeThingsToPractise: "not three things to practise"
            case .metaText: "the report talks about the task or carries notes"
            case .wrongLanguage: "the report is not in English"
            case .tooLong: "the summary or a thing to practise is longer than the schema allows"
            }
        }
    }

    public static var schema: JSONSchemaFormat {
        JSONSchemaFormat(name: "session_report", schema: .object([
            "type": .string("object"),
            "properties": .object([
                "summary": .object(["type": .string("string"), "maxLength": .integer(maxSummaryCharacters)]),
                "practise": .object(["type": .string("array"), "minItems": .integer(3), "maxItems": .integer(3),
                                     "items": .object(["type": .string("string"), "maxLength": .integer(maxPractiseCharacters)])]),
            ]),
            "required": .array([.string("summary"), .string("practise")]),
            "additionalProperties": .bool(false),
        ]))
    }

    public static func chatRequest(for request: ReportWritingRequest) -> ChatRequest {
        let system = """
            You are an interview coach writing the end report of a \(request.trackTitle) practice interview, speaking \
            to the candidate as "you". Write a summary of two or three sentences about how the interview went, based \
            only on what the candidate said, and three concrete things to practise next time, each one sentence that \
            names something from their answers. Plain English, no headings, no notes. Reply with the JSON object only.
            """
        var user = "The interview:\n"
        for turn in request.conversation { user += "Interviewer: \(turn.question)\nCandidate: \(turn.answer)\n" }
        if let overall = request.report.overall { user += "\nOverall score: \(overall) of 100." }
        let averages = request.report.averages.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        if !averages.isEmpty { user += " Averages: \(averages.joined(separator: ", "))." }
        return ChatRequest(messages: [ChatMessage(.system, system), ChatMessage(.user, user)], maxTokens: 400,
                           temperature: 0.3, jsonSchema: schema)
    }

    public static func parse(_ text: String, model: String) -> Result<WrittenReport, Rejection> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let summary = (object["summary"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines),
              let practise = object["practise"] as? [String] else { return .failure(.notJSON) }
        guard !summary.isEmpty else { return .failure(.empty) }
        let items = practise.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard items.count == 3 else { return .failure(.notThreeThingsToPractise) }
        guard summary.count <= maxSummaryCharacters, items.allSatisfy({ $0.count <= maxPractiseCharacters }) else {
            return .failure(.tooLong)
        }
        for part in [summary] + items {
            let lower = part.lowercased()
            if FollowUpWordingCheck.metaMarkers.contains(where: { lower.contains($0) && $0 != "here's a" }) {
                return .failure(.metaText)
            }
            let words = FollowUpWordingCheck.words(lower)
            guard FollowUpWordingCheck.isLanguage("en", text: part, words: words) else { return .failure(.wrongLanguage) }
        }
        return .success(WrittenReport(summary: summary, practise: items, model: model))
    }
}
