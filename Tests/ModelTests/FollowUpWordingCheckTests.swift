import Interview
import Testing
@testable import Model

@Suite struct FollowUpWordingCheckTests {
    let request = FollowUpWordingRequest(
        requestID: 1, sessionID: "s", template: TemplateRef(id: "follow-up.no-numbers", version: "v"),
        templateText: "Can you put a number on the difference it made?", prompt: ModelPrompt(system: "Be kind.", user: "Ask for numbers."),
        conversation: [ConversationTurn(question: "Tell me about a time you kept an old service alive.",
                                        answer: "I kept our payment service on Java 8 running while we moved off it.")],
        earlierQuestions: ["Tell me about a time you kept an old service alive."], language: "en", maxWords: 45)

    func rejection(_ text: String) -> FollowUpWordingCheck.Rejection? {
        if case .failure(let rejection) = FollowUpWordingCheck.check(text, for: request) { return rejection }
        return nil
    }

    @Test func aGroundedQuestionPassesTidied() {
        let result = FollowUpWordingCheck.check("  \"How many payments a day did that Java 8 service handle while you moved off it?\"\n",
                                                for: request)
        #expect(result == .success("How many payments a day did that Java 8 service handle while you moved off it?"))
        #expect(FollowUpWordingCheck.check("That sounds hard. What did you measure to know the move was safe?", for: request)
                == .success("That sounds hard. What did you measure to know the move was safe?"))
    }

    @Test func eachKindOfBadOutputIsRejected() {
        #expect(rejection("   ") == .empty)
        #expect(rejection("Tell me more about the service.") == .notOneQuestion)
        #expect(rejection("Why Java 8? And why then?") == .notOneQuestion)
        #expect(rejection("Good. Right. Fine. Why then?") == .notOneQuestion)
        #expect(rejection("Why?") == .tooShort)
        #expect(rejection(String(repeating: "what did you do then and ", count: 10) + "why?") == .tooLong(words: 61, limit: 45))
        #expect(rejection("Here is a follow-up question: what did you do?") == .metaText("follow-up question"))
        #expect(rejection("What did you do next? (Note: this probes action.)") == .metaText("note:"))
        #expect(rejection("What did you do next? [probing action]") == .metaText("["))
        #expect(rejection("Interviewer: What did you do next?") == .metaText("interviewer:"))
        #expect(rejection("What did you\ndo next?") == .metaText("more than one line"))
        #expect(rejection("Tell me about a time you kept an old service alive?") == .repeatsEarlierQuestion)
        #expect(rejection("¿Cuántos pagos procesaba el servicio cada día?") == .wrongLanguage)
        #expect(rejection("Combien de paiements traitait le service chaque jour?") == .wrongLanguage)
    }

    @Test func theRequestShowsInstructionsRulesAndTheConversation() {
        let chat = FollowUpWording.chatRequest(for: request)
        #expect(chat.messages.map(\.role) == [.system, .user])
        #expect(chat.messages[0].content.hasPrefix("Be kind."))
        #expect(chat.messages[0].content.contains("at most 45 words"))
        #expect(chat.messages[1].content.contains("Candidate: I kept our payment service on Java 8"))
        #expect(chat.messages[1].content.contains("Ask for numbers."))
        #expect(chat.jsonSchema == nil)
    }
}
