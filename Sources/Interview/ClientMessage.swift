import Foundation

/// The interview modes a session can run in.
public enum InterviewMode: String, Sendable, Equatable, Codable {
    /// The candidate types answers.
    case text
    /// The candidate speaks: binary PCM16 audio plus transcripts.
    case voice
}

/// What a client asks for in `session.start`.
public struct SessionStartRequest: Sendable, Equatable {
    public var trackID: String
    public var mode: InterviewMode
    /// Samples per second of the binary audio frames (voice mode).
    public var sampleRate: Int
    /// The candidate consents to the session's audio being recorded and kept with the session.
    public var record: Bool

    public static let supportedSampleRates: Set<Int> = [8_000, 16_000, 24_000, 48_000]
    public static let defaultSampleRate = 16_000

    public init(trackID: String, mode: InterviewMode = .text, sampleRate: Int = SessionStartRequest.defaultSampleRate,
                record: Bool = false) {
        self.trackID = trackID
        self.mode = mode
        self.sampleRate = sampleRate
        self.record = record
    }
}

/// One decoded text frame from the client.
public enum ClientMessage: Sendable, Equatable {
    case sessionStart(SessionStartRequest)
    /// Typed answer text; successive messages append to the current answer.
    case answerText(String)
    /// The recogniser's current guess for the utterance in progress; replaces the previous partial.
    /// `questionID`, when given, must be the open question's.
    case transcriptPartial(String, questionID: String?)
    /// A finished utterance; appended to the current answer.
    case transcriptFinal(String, questionID: String?)
    /// The client started or stopped speaking a question aloud.
    case playback(questionID: String, playing: Bool)
    /// A new connection asks for a dropped session back, with the token `session.started` gave it.
    case sessionResume(sessionID: String, resumeToken: String)
    /// The candidate has finished answering the current question.
    case answerDone
    /// The candidate ends the session early.
    case sessionEnd

    /// The wire `type` of each message.
    public var type: String {
        switch self {
        case .sessionStart: "session.start"
        case .answerText: "answer.text"
        case .transcriptPartial: "transcript.partial"
        case .transcriptFinal: "transcript.final"
        case .playback(_, let playing): playing ? "playback.started" : "playback.stopped"
        case .sessionResume: "session.resume"
        case .answerDone: "answer.done"
        case .sessionEnd: "session.end"
        }
    }
}

/// A client message with the optional `id` that replies and errors echo.
public struct ClientEnvelope: Sendable, Equatable {
    public var id: String?
    public var message: ClientMessage

    public init(id: String? = nil, _ message: ClientMessage) {
        self.id = id
        self.message = message
    }
}
