import Foundation
import Testing
@testable import Interview

@Suite struct ServerMessageTests {
    func object(_ message: ServerMessage) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: message.encoded()) as? [String: Any])
    }

    @Test func questionCarriesIDKindTextAndTemplate() throws {
        let json = try object(.question(QuestionAsked(questionID: "q2", number: 2, kind: .followUp, text: "Why?",
                                                      template: TemplateRef(id: "follow-up.why", version: "abc123"),
                                                      mainNumber: 1, targetSeconds: 90)))
        #expect(json["type"] as? String == "question")
        #expect(json["question_id"] as? String == "q2")
        #expect(json["kind"] as? String == "follow_up")
        #expect(json["text"] as? String == "Why?")
        #expect(json["template"] as? [String: String] == ["id": "follow-up.why", "version": "abc123"])
    }

    @Test func errorsCarryCodeMessageFatalAndTheRequestID() throws {
        let json = try object(.error(ProtocolError(.wrongState, "not now", fatal: true, requestID: "7")))
        #expect(json["type"] as? String == "error")
        #expect(json["code"] as? String == "wrong_state")
        #expect(json["message"] as? String == "not now")
        #expect(json["fatal"] as? Bool == true)
        #expect(json["id"] as? String == "7")
    }

    @Test func feedbackShowsAnUnknownPaceAsNull() throws {
        let json = try object(.feedbackLive(LiveFeedback(questionID: "q1", elapsedMs: 10, targetMs: 60_000, wordCount: 0,
                                                         wordsPerMinute: nil, pace: .unknown, fillerCount: 0,
                                                         fillersPer100Words: 0, fillers: [:], audioMs: 0)))
        #expect(json["words_per_minute"] is NSNull)
        #expect(json["pace"] as? String == "unknown")
    }

    @Test func sessionEndedHasReasonAndSummary() throws {
        let json = try object(.sessionEnded(SessionEnded(reason: .balanceExhausted, summary: SessionSummary(text: "done"))))
        #expect(json["reason"] as? String == "balance_exhausted")
        #expect((json["summary"] as? [String: Any])?["text"] as? String == "done")
    }
}
