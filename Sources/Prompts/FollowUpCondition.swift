import Interview

/// A fact about the answer that a follow-up template can require (its `when:` list). All listed conditions must hold.
public enum FollowUpCondition: String, Sendable, CaseIterable, Equatable {
    /// No number, percentage, amount or duration was given.
    case noNumbers = "no_numbers"
    /// No outcome was described (the R of STAR).
    case missingResult = "missing_result"
    /// The candidate did not say what they themselves did (the A of STAR).
    case missingAction = "missing_action"
    /// No context was set (the S of STAR).
    case missingSituation = "missing_situation"
    /// Fewer words than `AnswerThresholds.shortBelowWords`.
    case tooShort = "too_short"
    /// More words than `AnswerThresholds.longAboveWords`.
    case tooLong = "too_long"
    /// More filler words per 100 than `AnswerThresholds.manyFillersPer100Words`.
    case manyFillers = "many_fillers"
    /// "we" without any "I".
    case weWithoutI = "we_without_i"
    /// No follow-up has been asked about this question yet.
    case firstFollowUp = "first_follow_up"

    public func holds(in context: FollowUpContext) -> Bool {
        let answer = context.answer
        return switch self {
        case .noNumbers: !answer.mentionsNumbers
        case .missingResult: !answer.starParts.contains(.result)
        case .missingAction: !answer.starParts.contains(.action)
        case .missingSituation: !answer.starParts.contains(.situation)
        case .tooShort: answer.wordCount < AnswerThresholds.shortBelowWords
        case .tooLong: answer.wordCount > AnswerThresholds.longAboveWords
        case .manyFillers: answer.fillersPer100Words > AnswerThresholds.manyFillersPer100Words
        case .weWithoutI: answer.weWithoutI
        case .firstFollowUp: context.followUpsAsked == 0
        }
    }
}

/// Where "too short", "too long" and "many fillers" begin.
public enum AnswerThresholds {
    public static let shortBelowWords = 40
    public static let longAboveWords = 350
    public static let manyFillersPer100Words = 5.0
}
