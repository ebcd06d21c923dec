/// Everything live coaching knows about the answer in progress; coaching tips are chosen from it.
public struct LiveMeasures: Sendable, Equatable {
    public var mode: InterviewMode
    /// Since the question was asked.
    public var elapsedMs: Int64
    public var targetMs: Int64
    public var timeLimitMs: Int64
    public var analysis: AnswerAnalysis
    public var wordsPerMinute: Int?
    /// Time the candidate has spoken in this answer (voice mode).
    public var speakingMs: Int64
    /// Pauses of `LiveMeasures.longPauseMs` or more between spoken parts of this answer.
    public var longPauses: Int
    /// The microphone is clipping (too loud, distorted).
    public var clipping: Bool

    /// Below the default 2.5 s that ends a spoken turn, so a long pause can happen inside one.
    public static let longPauseMs: Int64 = 1_500

    public init(mode: InterviewMode, elapsedMs: Int64, targetMs: Int64, timeLimitMs: Int64, analysis: AnswerAnalysis,
                wordsPerMinute: Int?, speakingMs: Int64, longPauses: Int, clipping: Bool) {
        self.mode = mode
        self.elapsedMs = elapsedMs
        self.targetMs = targetMs
        self.timeLimitMs = timeLimitMs
        self.analysis = analysis
        self.wordsPerMinute = wordsPerMinute
        self.speakingMs = speakingMs
        self.longPauses = longPauses
        self.clipping = clipping
    }
}

/// One short piece of live coaching, from a coaching-tip template.
public struct CoachingTip: Sendable, Equatable, Codable {
    public var id: String
    public var text: String

    public init(id: String, text: String) {
        self.id = id
        self.text = text
    }
}

/// The report at the end of a session: how each answer scored, the trend, and what to practise next.
public struct SessionReport: Sendable, Equatable, Codable {
    public struct QuestionScore: Sendable, Equatable, Codable {
        public var questionID: String
        public var kind: QuestionKind
        public var overall: Int
        public var scores: [String: Int]

        enum CodingKeys: String, CodingKey {
            case questionID = "question_id", kind, overall, scores
        }
    }

    public enum Trend: String, Sendable, Codable {
        case improving, steady, declining
        case notEnoughAnswers = "not_enough_answers"
    }

    public var questions: [QuestionScore]
    /// Average of each criterion over the scored answers.
    public var averages: [String: Int]
    public var overall: Int?
    public var trend: Trend
    /// The three weakest criteria, with what to do about each.
    public var practise: [AnswerScore.Remark]
    /// Written by the session's model after the session, when it has one (stored; sent as `report.written`).
    public var written: WrittenReport? = nil

    /// Builds the report from the answers' scores, in the order they were given.
    public static func from(_ scores: [AnswerScore], kinds: [String: QuestionKind], rubric: Rubric) -> SessionReport {
        let questions = scores.map {
            QuestionScore(questionID: $0.questionID, kind: kinds[$0.questionID] ?? .main, overall: $0.overall,
                          scores: Dictionary(uniqueKeysWithValues: $0.scores.map { ($0.key.rawValue, $0.value) }))
        }
        var averages: [ScoreCriterion: Int] = [:]
        if !scores.isEmpty {
            for criterion in ScoreCriterion.allCases {
                averages[criterion] = Int((Double(scores.reduce(0) { $0 + ($1.scores[criterion] ?? 0) }) / Double(scores.count)).rounded())
            }
        }
        let overall = scores.isEmpty ? nil : Int((Double(scores.reduce(0) { $0 + $1.overall }) / Double(scores.count)).rounded())
        let practise = averages.filter { (rubric.weights[$0.key] ?? 0) > 0 }
            .sorted { ($0.value, $0.key) < ($1.value, $1.key) }
            .prefix(3)
            .map { AnswerScore.Remark(criterion: $0.key, text: rubric.improvements[$0.key] ?? Rubric.standard.improvements[$0.key]!) }
        return SessionReport(questions: questions,
                             averages: Dictionary(uniqueKeysWithValues: averages.map { ($0.key.rawValue, $0.value) }),
                             overall: overall, trend: trend(scores.map(\.overall)), practise: Array(practise))
    }

    /// Second half of the answers against the first: five points either way is a trend.
    static func trend(_ overall: [Int]) -> Trend {
        guard overall.count >= 2 else { return .notEnoughAnswers }
        let half = overall.count / 2
        let first = Double(overall.prefix(half).reduce(0, +)) / Double(half)
        let second = Double(overall.suffix(overall.count - half).reduce(0, +)) / Double(overall.count - half)
        if second - first >= 5 { return .improving }
        if first - second >= 5 { return .declining }
        return .steady
    }
}
