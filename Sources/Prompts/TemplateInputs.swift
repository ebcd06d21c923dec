import Interview

/// The values the engine offers each kind of template. A template declares which of them it uses; declaring one
/// the engine does not offer to that kind is an error, so a required input can never be left without a value.
public enum TemplateInputs {
    public struct Offer: Sendable {
        public var type: PromptTemplate.Input.ValueType
        public var description: String
    }

    static let trackTitle = Offer(type: .string, description: "the title of the track")
    static let topic = Offer(type: .string, description: "the topic of the main question, e.g. \"conflict\"")

    public static func offered(to kind: PromptTemplate.Kind) -> [String: Offer] {
        switch kind {
        case .question, .partial:
            return ["topic": topic, "track_title": trackTitle]
        case .coachingTip:
            return [
                "track_title": trackTitle,
                "words_per_minute": Offer(type: .number, description: "the pace so far (0 until it can be measured)"),
                "filler_count": Offer(type: .number, description: "filler words so far"),
                "target_seconds": Offer(type: .number, description: "the target length of an answer"),
                "elapsed_seconds": Offer(type: .number, description: "seconds since the question"),
            ]
        case .followUp, .contentFollowUp:
            return [
                "topic": topic,
                "track_title": trackTitle,
                "question": Offer(type: .string, description: "the text of the main question"),
                "word_count": Offer(type: .number, description: "how many words the answer had"),
                "filler_count": Offer(type: .number, description: "how many filler words the answer had"),
                "answer_start": Offer(type: .string, description: "the first twelve words of the answer"),
            ]
        case .rubric:
            return ["track_title": trackTitle]
        case .closing:
            return [
                "track_title": trackTitle,
                "questions_asked": Offer(type: .number, description: "how many questions were asked"),
                "answers_given": Offer(type: .number, description: "how many were answered"),
                "total_words": Offer(type: .number, description: "words spoken or typed in all answers"),
            ]
        }
    }

    static func values(for context: FollowUpContext, trackTitle: String) -> [String: String] {
        [
            "topic": context.mainQuestion.topic,
            "track_title": trackTitle,
            "question": context.mainQuestion.text,
            "word_count": String(context.answer.wordCount),
            "filler_count": String(context.answer.fillerCount),
            // At most 13 pieces: the twelve words and the rest, so a long answer is not split whole.
            "answer_start": context.answerText.split(maxSplits: 12, whereSeparator: \.isWhitespace).prefix(12)
                .joined(separator: " "),
        ]
    }

    static func values(for summary: SessionSummary, trackTitle: String) -> [String: String] {
        [
            "track_title": trackTitle,
            "questions_asked": String(summary.questionsAsked),
            "answers_given": String(summary.answersGiven),
            "total_words": String(summary.totalWords),
        ]
    }
}

extension TemplateInputs {
    static func values(for measures: LiveMeasures, trackTitle: String) -> [String: String] {
        [
            "track_title": trackTitle,
            "words_per_minute": String(measures.wordsPerMinute ?? 0),
            "filler_count": String(measures.analysis.fillerCount),
            "target_seconds": String(measures.targetMs / 1000),
            "elapsed_seconds": String(measures.elapsedMs / 1000),
        ]
    }
}
