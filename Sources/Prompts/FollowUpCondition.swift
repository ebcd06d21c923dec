import Interview

/// A fact about the answer that a follow-up or coaching template can require (its `when:` list). All listed
/// conditions must hold.
public enum FollowUpCondition: String, Sendable, CaseIterable, Equatable {
    /// No number, percentage, amount or duration was given.
    case noNumbers = "no_numbers"
    case hasNumbers = "has_numbers"
    /// No context was set (the S of STAR).
    case missingSituation = "missing_situation"
    case hasSituation = "has_situation"
    /// No goal or responsibility was stated (the T of STAR).
    case missingTask = "missing_task"
    case hasTask = "has_task"
    /// The candidate did not say what they themselves did (the A of STAR).
    case missingAction = "missing_action"
    case hasAction = "has_action"
    /// No outcome was described (the R of STAR).
    case missingResult = "missing_result"
    case hasResult = "has_result"
    /// Fewer words than `AnswerThresholds.shortBelowWords`.
    case tooShort = "too_short"
    /// More words than fit the track's target length at a brisk pace (`AnswerThresholds.longAboveWords`).
    case tooLong = "too_long"
    /// More filler words per 100 than `AnswerThresholds.manyFillersPer100Words`.
    case manyFillers = "many_fillers"
    /// "we" without any "I".
    case weWithoutI = "we_without_i"
    /// No follow-up has been asked about this question yet.
    case firstFollowUp = "first_follow_up"
    /// At least one follow-up has been asked about this question.
    case laterFollowUp = "later_follow_up"

    public func holds(in context: FollowUpContext) -> Bool {
        let answer = context.answer
        return switch self {
        case .noNumbers: !answer.mentionsNumbers
        case .hasNumbers: answer.mentionsNumbers
        case .missingSituation: !answer.starParts.contains(.situation)
        case .hasSituation: answer.starParts.contains(.situation)
        case .missingTask: !answer.starParts.contains(.task)
        case .hasTask: answer.starParts.contains(.task)
        case .missingAction: !answer.starParts.contains(.action)
        case .hasAction: answer.starParts.contains(.action)
        case .missingResult: !answer.starParts.contains(.result)
        case .hasResult: answer.starParts.contains(.result)
        case .tooShort: answer.wordCount < AnswerThresholds.shortBelowWords
        case .tooLong: answer.wordCount > AnswerThresholds.longAboveWords(targetSeconds: context.targetAnswerSeconds)
        case .manyFillers: answer.fillersPer100Words > AnswerThresholds.manyFillersPer100Words
        case .weWithoutI: answer.weWithoutI
        case .firstFollowUp: context.followUpsAsked == 0
        case .laterFollowUp: context.followUpsAsked > 0
        }
    }

    /// Conditions that can never hold together, so a template listing both can never fire.
    public static let contradictions: [(FollowUpCondition, FollowUpCondition)] = [
        (.noNumbers, .hasNumbers), (.missingSituation, .hasSituation), (.missingTask, .hasTask),
        (.missingAction, .hasAction), (.missingResult, .hasResult), (.tooShort, .tooLong),
        (.firstFollowUp, .laterFollowUp),
        // Every cue of an action is in the first person singular, which "we without I" rules out.
        (.weWithoutI, .hasAction),
    ]
}

/// Where "too short", "too long" and "many fillers" begin.
public enum AnswerThresholds {
    public static let shortBelowWords = 40
    public static let manyFillersPer100Words = 5.0

    /// Three words per second of the target: the target length spoken at 180 words per minute, the top of a
    /// comfortable pace. 120 s → 360 words.
    public static func longAboveWords(targetSeconds: Int) -> Int { targetSeconds * 3 }
}
