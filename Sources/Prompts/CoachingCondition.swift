import Interview

/// A fact about the answer in progress that a coaching tip can require (its `when:` list).
public enum CoachingCondition: String, Sendable, CaseIterable, Equatable {
    /// Under 110 words per minute, once the pace can be measured.
    case paceSlow = "pace_slow"
    /// Over 190 words per minute.
    case paceFast = "pace_fast"
    /// More than 5 filler words per 100 (after at least 20 words).
    case manyFillers = "many_fillers"
    /// Three hedges or more ("maybe", "I guess", "sort of").
    case manyHedges = "many_hedges"
    /// At least one pause of 1.5 seconds or more between spoken parts.
    case longPause = "long_pause"
    /// Past the target length.
    case overTarget = "over_target"
    /// Within 20 seconds of the time limit.
    case nearTimeLimit = "near_time_limit"
    /// Half the target time gone and no outcome described yet.
    case halfwayNoResult = "halfway_no_result"
    /// Half the target time gone and no number given yet.
    case halfwayNoNumbers = "halfway_no_numbers"
    /// 30 words or more, "we" but no "I".
    case weWithoutI = "we_without_i"
    /// The microphone is clipping.
    case clipping

    public func holds(in measures: LiveMeasures) -> Bool {
        let analysis = measures.analysis
        let halfway = measures.elapsedMs * 2 >= measures.targetMs
        return switch self {
        case .paceSlow: PaceBands.pace(wordsPerMinute: measures.wordsPerMinute) == .slow
        case .paceFast: PaceBands.pace(wordsPerMinute: measures.wordsPerMinute) == .fast
        case .manyFillers: analysis.wordCount >= 20 && analysis.fillersPer100Words > AnswerThresholds.manyFillersPer100Words
        case .manyHedges: analysis.hedges.values.reduce(0, +) >= 3
        case .longPause: measures.longPauses > 0
        case .overTarget: measures.elapsedMs > measures.targetMs
        case .nearTimeLimit: measures.timeLimitMs - measures.elapsedMs <= 20_000
        case .halfwayNoResult: halfway && !analysis.starParts.contains(.result)
        case .halfwayNoNumbers: halfway && !analysis.mentionsNumbers
        case .weWithoutI: analysis.wordCount >= 30 && analysis.weWithoutI
        case .clipping: measures.clipping
        }
    }
}
