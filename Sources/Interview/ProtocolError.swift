/// A problem with what the client sent, reported to it as an `error` event.
///
/// `code` values are part of the public protocol (docs/PROTOCOL.md); never rename one.
public struct ProtocolError: Error, Equatable, Sendable {
    public enum Code: String, Sendable, CaseIterable {
        case invalidJSON = "invalid_json"
        case unknownType = "unknown_type"
        case invalidMessage = "invalid_message"
        case unsupportedProtocolVersion = "unsupported_protocol_version"
        case wrongState = "wrong_state"
        case sessionAlreadyStarted = "session_already_started"
        case unknownTrack = "unknown_track"
        case insufficientBalance = "insufficient_balance"
        case unsupportedSampleRate = "unsupported_sample_rate"
        case audioOddLength = "audio_odd_length"
        case audioNotExpected = "audio_not_expected"
        /// More than 100 audio frames a second on average: the extra frames are dropped.
        case audioFlood = "audio_flood"
        /// Audio arrives faster than real time at the declared rate: the audio ahead of the clock is dropped.
        case audioRateMismatch = "audio_rate_mismatch"
        /// The answer reached its size limit; the text was not added.
        case answerTooLong = "answer_too_long"
        /// Text messages came faster than the connection's limit; the extra ones were dropped.
        case rateLimited = "rate_limited"
        /// The account has as many live sessions as it may.
        case tooManySessions = "too_many_sessions"
        /// No `session.start` or `session.resume` arrived in time after connecting; the connection closes.
        case sessionStartTimeout = "session_start_timeout"
        /// The client did not read what the server sent; the connection closes.
        case notReading = "not_reading"
        /// `session.resume` named no session that can be resumed (unknown, another account's, wrong token, grace over).
        case resumeFailed = "resume_failed"
        /// A transcript named a question whose turn has ended.
        case turnEnded = "turn_ended"
        /// The server is draining before a restart and starts no new sessions: connect again (the load balancer
        /// sends the new connection to another node).
        case serverDraining = "server_draining"
        case internalError = "internal_error"
    }

    public var code: Code
    public var message: String
    /// True when the server closes the connection after sending the error.
    public var fatal: Bool
    /// The client's `id` of the message that caused it, echoed back.
    public var requestID: String?

    public init(_ code: Code, _ message: String, fatal: Bool = false, requestID: String? = nil) {
        self.code = code
        self.message = message
        self.fatal = fatal
        self.requestID = requestID
    }
}
