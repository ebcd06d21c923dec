/// One interview track (a `.track.yaml` file): which questions it asks and how long answers should be.
public struct Track: Sendable, Equatable {
    public var id: String
    public var title: String
    public var description: String
    /// Ids of the main-question templates, asked in this order.
    public var questionIDs: [String]
    /// Follow-ups asked at most per main question.
    public var maxFollowUps: Int
    public var targetAnswerSeconds: Int
    /// Silence that ends a spoken turn.
    public var silenceSeconds: Double
    public var file: String
    /// The line of each entry of `questionIDs` in the file, for error messages.
    public var questionLines: [Int]
}
