/// What the engine measured in one answer. Follow-up conditions and coaching read these fields.
public struct AnswerAnalysis: Sendable, Equatable, Codable {
    public enum StarPart: String, Sendable, Codable, CaseIterable, Comparable {
        case situation, task, action, result
        public static func < (lhs: Self, rhs: Self) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public var wordCount: Int
    public var fillers: [String: Int]
    /// Hedges that weaken a claim: "maybe", "I guess", "sort of".
    public var hedges: [String: Int]
    /// Numbers, percentages, money or durations ("40%", "3 weeks", "twice").
    public var mentionsNumbers: Bool
    public var starParts: Set<StarPart>
    public var firstPersonSingular: Int
    public var firstPersonPlural: Int
    public var durationMs: Int64

    enum CodingKeys: String, CodingKey {
        case wordCount = "word_count", fillers, hedges, mentionsNumbers = "mentions_numbers", starParts = "star_parts"
        case firstPersonSingular = "first_person_singular", firstPersonPlural = "first_person_plural"
        case durationMs = "duration_ms"
    }

    public init(wordCount: Int = 0, fillers: [String: Int] = [:], hedges: [String: Int] = [:], mentionsNumbers: Bool = false,
                starParts: Set<StarPart> = [], firstPersonSingular: Int = 0, firstPersonPlural: Int = 0,
                durationMs: Int64 = 0) {
        self.wordCount = wordCount
        self.fillers = fillers
        self.hedges = hedges
        self.mentionsNumbers = mentionsNumbers
        self.starParts = starParts
        self.firstPersonSingular = firstPersonSingular
        self.firstPersonPlural = firstPersonPlural
        self.durationMs = durationMs
    }

    public var fillerCount: Int { fillers.values.reduce(0, +) }

    public var fillersPer100Words: Double {
        wordCount == 0 ? 0 : (Double(fillerCount) * 100 / Double(wordCount) * 10).rounded() / 10
    }

    /// Words per minute, once at least `AnswerAnalysis.minimumPaceSampleMs` of answering gives a fair sample.
    public var wordsPerMinute: Int? {
        guard durationMs >= Self.minimumPaceSampleMs, wordCount > 0 else { return nil }
        return Int((Double(wordCount) * 60_000 / Double(durationMs)).rounded())
    }

    public static let minimumPaceSampleMs: Int64 = 5_000

    public var isEmpty: Bool { wordCount == 0 }

    // Tolerant of fields added later (hedges), so analyses stored by earlier versions still read.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        wordCount = try container.decode(Int.self, forKey: .wordCount)
        fillers = try container.decode([String: Int].self, forKey: .fillers)
        hedges = try container.decodeIfPresent([String: Int].self, forKey: .hedges) ?? [:]
        mentionsNumbers = try container.decode(Bool.self, forKey: .mentionsNumbers)
        starParts = try container.decode(Set<StarPart>.self, forKey: .starParts)
        firstPersonSingular = try container.decode(Int.self, forKey: .firstPersonSingular)
        firstPersonPlural = try container.decode(Int.self, forKey: .firstPersonPlural)
        durationMs = try container.decode(Int64.self, forKey: .durationMs)
    }

    /// "we" used, but never "I": the candidate's own part is unclear.
    public var weWithoutI: Bool { firstPersonPlural > 0 && firstPersonSingular == 0 }
}

/// The pace bands from the coaching rules: good about 140–160 words per minute, flagged under 110 or over 190.
public enum PaceBands {
    public static let slowBelow = 110
    public static let fastAbove = 190

    public static func pace(wordsPerMinute: Int?) -> LiveFeedback.Pace {
        guard let wpm = wordsPerMinute else { return .unknown }
        if wpm < slowBelow { return .slow }
        if wpm > fastAbove { return .fast }
        return .good
    }
}
