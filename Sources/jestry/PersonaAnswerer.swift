import Bot
import Dispatch
import Foundation
import Model
import Server

/// A model playing the candidate from a persona, for `jestry bot --persona`: each question and the conversation so
/// far go to the model, and its reply is typed as the answer. Blocking is fine here: the bot is a client.
final class PersonaAnswerer: @unchecked Sendable {
    let persona: BotPersona
    let client: OpenAICompatibleChatClient
    let timeout: TimeInterval

    init(persona: BotPersona, provider: ModelProviderConfiguration, timeout: TimeInterval = 60) {
        self.persona = persona
        self.timeout = timeout
        client = OpenAICompatibleChatClient(baseURL: provider.url, apiKey: provider.key, model: provider.name)
    }

    deinit { client.invalidate() }

    static func request(persona: BotPersona, question: String, conversation: [(question: String, answer: String)]) -> ChatRequest {
        let system = persona.persona.trimmingCharacters(in: .whitespacesAndNewlines) + """


            You are this candidate in a practice job interview. Answer the interviewer's last question in the first \
            person, as you would say it aloud, in at most 150 words. Reply with the answer only.
            """
        var user = ""
        for turn in conversation { user += "Interviewer: \(turn.question)\nYou: \(turn.answer)\n" }
        user += "Interviewer: \(question)\nYou:"
        return ChatRequest(messages: [ChatMessage(.system, system), ChatMessage(.user, user)], maxTokens: 260, temperature: 0.8)
    }

    /// The answer, or nil (the bot then ends the session) when the model fails or says nothing.
    func answer(_ question: String, conversation: [(question: String, answer: String)]) -> String? {
        let done = DispatchSemaphore(value: 0)
        let box = Box()
        _ = client.stream(Self.request(persona: persona, question: question, conversation: conversation), timeout: timeout) {
            if case .finished(let result) = $0 {
                box.text = try? result.get()
                done.signal()
            }
        }
        done.wait()
        let text = box.text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return text.isEmpty ? nil : text
    }

    private final class Box: @unchecked Sendable { var text: String? }
}
