import Foundation
import Interview

/// How a follow-up's wording is asked of a model: the template's `model:` instructions, the rules of the output,
/// and the conversation so far, as one system and one user message (no alternating turns, so every server's chat
/// template accepts it).
public enum FollowUpWording {
    /// Room for a 45-word question; a model that rambles is cut off here and fails the checks.
    public static let maxTokens = 96

    public static func chatRequest(for request: FollowUpWordingRequest) -> ChatRequest {
        var system = request.prompt.system ?? "You are the interviewer in a practice job interview."
        system += """


            Reply with the question alone, exactly as you would say it aloud: one question, at most \
            \(request.maxWords) words, in \(languageName(request.language)). No preamble, no labels, no quotation \
            marks, no notes or explanations.
            """
        var user = ""
        if !request.conversation.isEmpty {
            user += "The conversation so far:\n"
            for turn in request.conversation {
                user += "Interviewer: \(turn.question)\nCandidate: \(turn.answer)\n"
            }
            user += "\n"
        }
        if let instructions = request.prompt.user, !instructions.isEmpty { user += instructions + "\n\n" }
        user += "Ask your one follow-up question about what the candidate said."
        return ChatRequest(messages: [ChatMessage(.system, system), ChatMessage(.user, user)], maxTokens: maxTokens,
                           temperature: 0.6)
    }

    static func languageName(_ code: String) -> String {
        code.lowercased().hasPrefix("en") ? "English" : code
    }
}

/// The checks a model's wording must pass before the candidate hears it. Anything else means the template's own
/// text is asked: the floor is never worse than the template interviewer.
public enum FollowUpWordingCheck {
    public enum Rejection: Error, Equatable, CustomStringConvertible {
        case empty
        case notOneQuestion
        case tooLong(words: Int, limit: Int)
        case tooShort
        case metaText(String)
        case repeatsEarlierQuestion
        case wrongLanguage

        public var description: String {
            switch self {
            case .empty: "the model said nothing"
            case .notOneQuestion: "not exactly one question ending in a question mark"
            case .tooLong(let words, let limit): "\(words) words, more than \(limit)"
            case .tooShort: "too short to be a question"
            case .metaText(let found): "meta-text or notes (\(found))"
            case .repeatsEarlierQuestion: "repeats an earlier question"
            case .wrongLanguage: "not in the session's language"
            }
        }
    }

    /// Phrases that show the model talking about the task rather than to the candidate.
    static let metaMarkers = [
        "as an ai", "language model", "follow-up question", "follow up question", "here is", "here's a", "note:",
        "interviewer:", "question:", "candidate:", "assistant:", "(note", "[", "]", "*", "#", "```", "{", "}", "<", ">",
    ]

    /// The wording, tidied (surrounding whitespace and quotation marks removed), or why it cannot be asked.
    public static func check(_ raw: String, for request: FollowUpWordingRequest) -> Result<String, Rejection> {
        var text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let quotes = CharacterSet(charactersIn: "\"'“”‘’")
        while let first = text.unicodeScalars.first, let last = text.unicodeScalars.last,
              quotes.contains(first), quotes.contains(last), text.count > 1 {
            text = String(text.dropFirst().dropLast()).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard !text.isEmpty else { return .failure(.empty) }
        let lower = text.lowercased()
        if let marker = metaMarkers.first(where: { lower.contains($0) }) { return .failure(.metaText(marker)) }
        if text.contains("\n") { return .failure(.metaText("more than one line")) }
        // One question: one question mark, at the end; at most one short sentence may lead into it.
        guard text.hasSuffix("?"), text.filter({ $0 == "?" }).count == 1 else { return .failure(.notOneQuestion) }
        let sentences = text.split(whereSeparator: { ".!".contains($0) }).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard sentences.count <= 2 else { return .failure(.notOneQuestion) }
        let words = Self.words(lower)
        guard words.count >= 4 else { return .failure(.tooShort) }
        guard words.count <= request.maxWords else { return .failure(.tooLong(words: words.count, limit: request.maxWords)) }
        guard isLanguage(request.language, text: text, words: words) else { return .failure(.wrongLanguage) }
        let asked = Set(words)
        for earlier in request.earlierQuestions {
            let other = Set(Self.words(earlier.lowercased()))
            let shared = Double(asked.intersection(other).count)
            let union = Double(asked.union(other).count)
            if union > 0, shared / union >= 0.8 { return .failure(.repeatsEarlierQuestion) }
        }
        return .success(text)
    }

    static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "'" }).map(String.init)
    }

    /// Common English words, of which a question always has some ("what", "you", "did", …).
    static let englishWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "could", "did", "do", "does", "for", "from", "had",
        "has", "have", "how", "i", "if", "in", "is", "it", "its", "of", "on", "or", "so", "that", "the", "their",
        "them", "then", "there", "they", "this", "to", "was", "we", "were", "what", "when", "where", "which", "who",
        "why", "will", "with", "would", "you", "your",
    ]

    /// English, the one language sessions have today: letters from the Latin alphabet, and at least one word in
    /// five a common English one. Another language would add its own test here.
    static func isLanguage(_ language: String, text: String, words: [String]) -> Bool {
        guard language.lowercased().hasPrefix("en") else { return true }
        let letters = text.unicodeScalars.filter { CharacterSet.letters.contains($0) }
        let latin = letters.filter { $0.isASCII }
        guard !letters.isEmpty, Double(latin.count) / Double(letters.count) >= 0.95 else { return false }
        let common = words.filter { englishWords.contains($0) }.count
        return common * 5 >= words.count
    }
}
