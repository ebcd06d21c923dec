import Foundation
import Yams

/// A scripted candidate: which track to take and how to answer each question, in order.
///
/// YAML or JSON (JSON is YAML too). Audio paths are relative to the script's folder.
public struct BotScript: Sendable, Equatable, Decodable {
    public struct Answer: Sendable, Equatable, Decodable {
        /// What the candidate says or types. In voice mode it is sent as transcripts alongside the audio.
        public var text: String?
        /// Seconds to wait before starting to answer.
        public var pause: Double?
        /// A PCM16 mono WAV to stream in real time (voice mode).
        public var audio: String?
        /// Seconds of silence after the answer before `answer.done` (a candidate who says nothing: text omitted).
        public var silence: Double?

        public init(text: String?, pause: Double? = nil, audio: String? = nil, silence: Double? = nil) {
            self.text = text
            self.pause = pause
            self.audio = audio
            self.silence = silence
        }
    }

    public enum WhenOutOfAnswers: String, Sendable, Equatable, Decodable {
        /// End the session with `session.end`.
        case end
        /// Give the last answer again.
        case repeatLast = "repeat-last"
    }

    public var name: String
    public var track: String
    public var mode: String?
    public var sampleRate: Int?
    /// Consent to recording the session's audio.
    public var record: Bool?
    public var answers: [Answer]
    public var whenOutOfAnswers: WhenOutOfAnswers?

    enum CodingKeys: String, CodingKey {
        case name, track, mode, sampleRate = "sample_rate", record, answers, whenOutOfAnswers = "when_out_of_answers"
    }

    public static func load(from url: URL) throws -> BotScript {
        let text = try String(contentsOf: url, encoding: .utf8)
        do {
            return try YAMLDecoder().decode(BotScript.self, from: text)
        } catch {
            throw BotError.invalidScript("\(url.path): \(error)")
        }
    }
}

public enum BotError: Error, CustomStringConvertible {
    case invalidScript(String)
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .invalidScript(let message): "invalid bot script: \(message)"
        case .protocolViolation(let message): message
        }
    }
}
