/// The five things an answer is scored on.
public enum ScoreCriterion: String, Sendable, Codable, CaseIterable, Comparable {
    case structure, specificity, relevance, concision, delivery

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// How answers are scored on a track: the weight of each criterion in the overall score and what the candidate is
/// told about a strong or weak criterion. Prompt authors set it in a rubric template.
public struct Rubric: Sendable, Equatable {
    public var id: String
    public var version: String
    public var weights: [ScoreCriterion: Double]
    public var strengths: [ScoreCriterion: String]
    public var improvements: [ScoreCriterion: String]

    public init(id: String, version: String, weights: [ScoreCriterion: Double], strengths: [ScoreCriterion: String],
                improvements: [ScoreCriterion: String]) {
        self.id = id
        self.version = version
        self.weights = weights
        self.strengths = strengths
        self.improvements = improvements
    }

    /// Used when a track names no rubric.
    public static let standard = Rubric(
        id: "standard", version: "builtin",
        weights: [.structure: 0.25, .specificity: 0.25, .relevance: 0.15, .concision: 0.15, .delivery: 0.2],
        strengths: [
            .structure: "Your answer had a clear structure: situation, task, action and result.",
            .specificity: "You gave concrete specifics: numbers and names make a story believable.",
            .relevance: "You stayed on the question.",
            .concision: "Your answer had a good length for the question.",
            .delivery: "Your delivery was steady and clear.",
        ],
        improvements: [
            .structure: "Structure the story: situation, task, what you did, and how it ended.",
            .specificity: "Add specifics: a number, a tool, a measurable outcome.",
            .relevance: "Answer the question that was asked, and tie your example back to it.",
            .concision: "Aim for the target length: say the key points, then stop.",
            .delivery: "Slow down, pause instead of filling, and keep an even pace.",
        ])
}

/// One answer's scores (0–100), each traceable to what was measured.
public struct AnswerScore: Sendable, Equatable, Codable {
    public struct Remark: Sendable, Equatable, Codable {
        public var criterion: ScoreCriterion
        public var text: String
    }

    public var questionID: String
    public var scores: [ScoreCriterion: Int]
    public var overall: Int
    public var strength: Remark
    public var improvement: Remark
    /// The measurements behind each score, in words.
    public var evidence: [ScoreCriterion: String]
    public var rubric: TemplateRef
    /// Who scored it: the engine's rules (measurements), or the session's model (evidence quoted from the answer).
    public var scoredBy: ScoreSource = .rules
    /// With `scoredBy == .model`: the rules' scores of the same answer, kept beside for comparison.
    public var rules: [ScoreCriterion: Int]?

    enum CodingKeys: String, CodingKey {
        case questionID = "question_id", scores, overall, strength, improvement, evidence, rubric
        case scoredBy = "scored_by", rules
    }

    public init(questionID: String, scores: [ScoreCriterion: Int], overall: Int, strength: Remark, improvement: Remark,
                evidence: [ScoreCriterion: String], rubric: TemplateRef) {
        self.questionID = questionID
        self.scores = scores
        self.overall = overall
        self.strength = strength
        self.improvement = improvement
        self.evidence = evidence
        self.rubric = rubric
    }

    // Criteria as JSON object keys ("structure": 80), not as an array of pairs.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        questionID = try container.decode(String.self, forKey: .questionID)
        scores = Self.keyed(try container.decode([String: Int].self, forKey: .scores))
        overall = try container.decode(Int.self, forKey: .overall)
        strength = try container.decode(Remark.self, forKey: .strength)
        improvement = try container.decode(Remark.self, forKey: .improvement)
        evidence = Self.keyed(try container.decode([String: String].self, forKey: .evidence))
        rubric = try container.decode(TemplateRef.self, forKey: .rubric)
        scoredBy = try container.decodeIfPresent(ScoreSource.self, forKey: .scoredBy) ?? .rules
        rules = try container.decodeIfPresent([String: Int].self, forKey: .rules).map(Self.keyed)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(questionID, forKey: .questionID)
        try container.encode(Dictionary(uniqueKeysWithValues: scores.map { ($0.key.rawValue, $0.value) }), forKey: .scores)
        try container.encode(overall, forKey: .overall)
        try container.encode(strength, forKey: .strength)
        try container.encode(improvement, forKey: .improvement)
        try container.encode(Dictionary(uniqueKeysWithValues: evidence.map { ($0.key.rawValue, $0.value) }), forKey: .evidence)
        try container.encode(rubric, forKey: .rubric)
        try container.encode(scoredBy, forKey: .scoredBy)
        try container.encodeIfPresent(rules.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.rawValue, $0.value) }) },
                                      forKey: .rules)
    }

    static func keyed<V>(_ values: [String: V]) -> [ScoreCriterion: V] {
        Dictionary(uniqueKeysWithValues: values.compactMap { key, value in ScoreCriterion(rawValue: key).map { ($0, value) } })
    }
}

/// Who scored an answer (`scored_by` on `answer.scored`).
public enum ScoreSource: String, Sendable, Equatable, Codable {
    case rules
    case model
}

extension AnswerScorer {
    /// The model's grade as an answer's score: the rubric's weights and remarks over the model's scores, its quotes as
    /// the evidence, the rules' scores beside.
    public static func score(_ grade: ModelGrade, replacing rules: AnswerScore, rubric: Rubric) -> AnswerScore {
        var scores = rules.scores
        var evidence = rules.evidence
        for (criterion, value) in grade.scores {
            scores[criterion] = value
            let quote = grade.evidence[criterion] ?? ""
            evidence[criterion] = quote.isEmpty ? "nothing in the answer for this" : "\u{201C}\(quote)\u{201D}"
        }
        let (overall, best, worst, _) = weighted(scores, rubric: rubric)
        var score = rules
        score.scores = scores
        score.evidence = evidence
        score.overall = overall
        score.strength = .init(criterion: best, text: rubric.strengths[best] ?? Rubric.standard.strengths[best]!)
        score.improvement = .init(criterion: worst, text: rubric.improvements[worst] ?? Rubric.standard.improvements[worst]!)
        score.scoredBy = .model
        score.rules = rules.scores
        return score
    }
}

/// What the scorer knows about one answer.
public struct ScoringInput: Sendable {
    public var questionID: String
    public var questionText: String
    public var answerText: String
    public var analysis: AnswerAnalysis
    public var targetSeconds: Int
    /// Time actually spoken, when the answer was spoken (nil for typed answers).
    public var speakingMs: Int64?
    /// Words that were spoken rather than typed; pace counts only these (nil: all words were spoken).
    public var spokenWords: Int?
    public var longPauses: Int

    public init(questionID: String, questionText: String, answerText: String, analysis: AnswerAnalysis,
                targetSeconds: Int, speakingMs: Int64? = nil, spokenWords: Int? = nil, longPauses: Int = 0) {
        self.questionID = questionID
        self.questionText = questionText
        self.answerText = answerText
        self.analysis = analysis
        self.targetSeconds = targetSeconds
        self.speakingMs = speakingMs
        self.spokenWords = spokenWords
        self.longPauses = longPauses
    }
}

/// Scores an answer against a rubric from the measurements alone; deterministic.
public enum AnswerScorer {
    public static func score(_ input: ScoringInput, rubric: Rubric, rubricRef: TemplateRef) -> AnswerScore {
        let analysis = input.analysis
        var scores: [ScoreCriterion: Int] = [:]
        var evidence: [ScoreCriterion: String] = [:]

        let parts = analysis.starParts.sorted()
        scores[.structure] = parts.count * 25
        evidence[.structure] = "STAR parts heard: " + (parts.isEmpty ? "none" : parts.map(\.rawValue).joined(separator: ", "))
            + " (\(parts.count) of 4)"

        let specifics = AnswerAnalyzer.specifics(in: input.answerText)
        let outcome = analysis.starParts.contains(.result)
        scores[.specificity] = (analysis.mentionsNumbers ? 40 : 0) + (specifics.isEmpty ? 0 : 30) + (outcome ? 30 : 0)
        evidence[.specificity] = "numbers: \(analysis.mentionsNumbers ? "yes" : "no"); named specifics: "
            + (specifics.isEmpty ? "none" : specifics.prefix(5).joined(separator: ", ")) + "; outcome stated: \(outcome ? "yes" : "no")"

        let overlap = AnswerAnalyzer.keywordOverlap(question: input.questionText, answer: input.answerText)
        scores[.relevance] = analysis.isEmpty ? 0 : Int((30 + 70 * min(1, overlap * 2.5)).rounded())
        evidence[.relevance] = "\(Int((overlap * 100).rounded()))% of the question's key words came up in the answer"

        let targetWords = Double(input.targetSeconds) * 150 / 60
        let ratio = Double(analysis.wordCount) / max(targetWords, 1)
        scores[.concision] = concision(ratio: ratio)
        evidence[.concision] = "\(analysis.wordCount) words for a target of about \(Int(targetWords)) (\(input.targetSeconds) s at 150 words per minute)"

        let (delivery, deliveryEvidence) = self.delivery(input)
        scores[.delivery] = delivery
        evidence[.delivery] = deliveryEvidence

        let (overall, best, worst, bestScore) = weighted(scores, rubric: rubric)
        // Nothing scored above zero (an empty answer): there is no strength to praise.
        let strengthText = bestScore > 0 ? rubric.strengths[best] ?? Rubric.standard.strengths[best]!
                                         : "Nothing to score yet: even a short answer gives you something to build on."
        return AnswerScore(questionID: input.questionID, scores: scores, overall: overall,
                           strength: .init(criterion: best, text: strengthText),
                           improvement: .init(criterion: worst, text: rubric.improvements[worst] ?? Rubric.standard.improvements[worst]!),
                           evidence: evidence, rubric: rubricRef)
    }

    /// The rubric's weighted overall score, and its best and worst weighted criteria (with the best one's score). Only
    /// weighted criteria count; ties go to the criterion listed first, so the choice is stable.
    static func weighted(_ scores: [ScoreCriterion: Int], rubric: Rubric)
        -> (overall: Int, best: ScoreCriterion, worst: ScoreCriterion, bestScore: Int) {
        let totalWeight = rubric.weights.values.reduce(0, +)
        let overall = totalWeight > 0
            ? Int((ScoreCriterion.allCases.reduce(0.0) { $0 + Double(scores[$1] ?? 0) * (rubric.weights[$1] ?? 0) } / totalWeight).rounded())
            : 0
        var best = ScoreCriterion.structure, worst = ScoreCriterion.structure
        var bestScore = -1, worstScore = Int.max
        for criterion in ScoreCriterion.allCases where (rubric.weights[criterion] ?? 0) > 0 {
            let value = scores[criterion] ?? 0
            if value > bestScore { (best, bestScore) = (criterion, value) }
            if value < worstScore { (worst, worstScore) = (criterion, value) }
        }
        return (overall, best, worst, bestScore)
    }

    /// 100 between 60% and 120% of the target length, falling to 0 at nothing and at 250%.
    static func concision(ratio: Double) -> Int {
        let score: Double
        switch ratio {
        case ..<0.6: score = ratio / 0.6
        case 0.6...1.2: score = 1
        default: score = max(0, 1 - (ratio - 1.2) / 1.3)
        }
        return Int((score * 100).rounded())
    }

    /// Pace (spoken answers only), fillers, hedges and long pauses.
    static func delivery(_ input: ScoringInput) -> (Int, String) {
        let analysis = input.analysis
        guard !analysis.isEmpty else { return (0, "nothing was said") }
        var score = 100.0
        var notes: [String] = []
        if let speakingMs = input.speakingMs, speakingMs > 0 {
            let wpm = Double(input.spokenWords ?? analysis.wordCount) * 60_000 / Double(speakingMs)
            let distance = wpm < 140 ? 140 - wpm : (wpm > 160 ? wpm - 160 : 0)
            score -= min(40, distance * 0.8)
            notes.append("\(Int(wpm.rounded())) words per minute")
        }
        score -= min(35, analysis.fillersPer100Words * 5)
        notes.append("\(analysis.fillersPer100Words) fillers per 100 words")
        let hedges = analysis.hedges.values.reduce(0, +)
        score -= min(15, Double(hedges) * 3)
        notes.append("\(hedges) hedge\(hedges == 1 ? "" : "s")")
        if input.speakingMs != nil {
            score -= min(15, Double(input.longPauses) * 5)
            notes.append("\(input.longPauses) long pause\(input.longPauses == 1 ? "" : "s")")
        }
        return (Int(max(0, score).rounded()), notes.joined(separator: "; "))
    }
}
