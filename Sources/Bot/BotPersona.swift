import Foundation
import Yams

/// A simulated candidate a model plays (`jestry bot --persona FILE --model-url URL`): who they are and how they
/// answer (strong, vague, rambling, evasive), in plain words the model is given as its instructions.
public struct BotPersona: Sendable, Equatable, Decodable {
    public var name: String
    public var track: String
    /// The model's instructions: the candidate's background and manner.
    public var persona: String
    /// Answers at most, then the bot ends the session.
    public var maxAnswers: Int

    enum CodingKeys: String, CodingKey {
        case name, track, persona, maxAnswers = "max_answers"
    }

    public static func load(from url: URL) throws -> BotPersona {
        let text = try String(contentsOf: url, encoding: .utf8)
        do {
            let persona = try YAMLDecoder().decode(BotPersona.self, from: text)
            guard persona.maxAnswers > 0, persona.maxAnswers <= 50 else {
                throw BotError.invalidScript("\(url.path): max_answers must be from 1 to 50")
            }
            return persona
        } catch let error as BotError {
            throw error
        } catch {
            throw BotError.invalidScript("\(url.path): \(error)")
        }
    }

    /// The script the runner follows: the track, text mode, and room for `maxAnswers` answers.
    public var script: BotScript {
        BotScript(name: name, track: track, mode: "text", sampleRate: nil, record: nil,
                  answers: Array(repeating: BotScript.Answer(text: nil), count: maxAnswers), whenOutOfAnswers: .end)
    }
}
