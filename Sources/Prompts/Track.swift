/// One interview track (a `.track.yaml` file): which questions it asks and how long answers should be.
public struct Track: Sendable, Equatable {
    public enum Order: String, Sendable {
        /// Questions in the order listed.
        case inOrder = "in-order"
        /// A different order each session (drawn from the session id).
        case shuffled
    }

    public var id: String
    public var title: String
    public var description: String
    /// Ids of the main-question templates.
    public var questionIDs: [String]
    public var order: Order
    /// How many of the questions one session asks.
    public var questionsPerSession: Int
    /// Follow-ups asked at most per main question.
    public var maxFollowUps: Int
    public var targetAnswerSeconds: Int
    /// Silence that ends a spoken turn.
    public var silenceSeconds: Double
    /// The longest an answer may take (default: twice the target).
    public var answerTimeLimitSeconds: Int
    /// The id of the rubric template that scores answers.
    public var rubric: String?
    /// The id of the `content-follow-up` template a model interviewer may ask after a strong answer when no rule
    /// fired; nil: it never does.
    public var contentFollowUp: String? = nil
    /// Where the `content_follow_up` value stands in the file.
    var contentFollowUpLine = 1
    var contentFollowUpColumn = 1
    public var file: String
    /// The line of each entry of `questionIDs` in the file, for error messages.
    public var questionLines: [Int]
    /// The column of each entry of `questionIDs`.
    public var questionColumns: [Int]
    var rubricLine: Int?
    /// Where the `id` value stands in the file, for a duplicate id.
    var idLine = 1
    var idColumn = 1
}
