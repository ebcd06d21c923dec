import Foundation
import Interview
import Testing
@testable import Model

@Suite struct ReportWritingTests {
    static func json(_ summary: String, _ practise: [String]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: ["summary": summary, "practise": practise]), as: UTF8.self)
    }

    @Test func aWholeReportIsRead() throws {
        let written = try ReportWriting.parse(Self.json("You told clear stories and gave numbers in most of them.",
                                                        ["Say what you did yourself in the payment story.",
                                                         "End each answer with the result.", "Cut the long introduction."]),
                                              model: "m").get()
        #expect(written.practise.count == 3)
        #expect(written.model == "m")
    }

    @Test func badReportsAreRejected() {
        #expect(ReportWriting.parse("Well done!", model: "m") == .failure(.notJSON))
        #expect(ReportWriting.parse(Self.json(" ", ["a", "b", "c"]), model: "m") == .failure(.empty))
        #expect(ReportWriting.parse(Self.json("You did well in the interview.", ["Practise the result."]), model: "m")
                == .failure(.notThreeThingsToPractise))
        #expect(ReportWriting.parse(Self.json("As an AI language model, I think you did well.", ["Do a.", "Do b.", "Do c."]),
                                    model: "m") == .failure(.metaText))
        #expect(ReportWriting.parse(Self.json("Vous avez bien répondu aux questions.", ["Do the thing.", "Do that.", "Do this."]),
                                    model: "m") == .failure(.wrongLanguage))
        // What report.written promises a client: bounded text, also from a server that ignores the schema.
        let long = String(repeating: "You told the story well. ", count: 30)
        #expect(ReportWriting.parse(Self.json(long, ["Do a.", "Do b.", "Do c."]), model: "m") == .failure(.tooLong))
        #expect(ReportWriting.parse(Self.json("You did well.", ["Do a.", "Do b.", String(repeating: "Practise the result. ", count: 12)]),
                                    model: "m") == .failure(.tooLong))
    }

    @Test func theRequestCarriesTheConversationScoresAndSchema() {
        let report = SessionReport.from([], kinds: [:], rubric: .standard)
        let request = ReportWriting.chatRequest(for: ReportWritingRequest(
            sessionID: "S", trackTitle: "Behavioural", conversation: [ConversationTurn(question: "Q?", answer: "My answer.")],
            report: report))
        #expect(request.jsonSchema?.name == "session_report")
        #expect(request.messages.last?.content.contains("Candidate: My answer.") == true)
    }
}
