import Foundation
import Testing
@testable import Interview

/// The one-pass encoder must write what `JSONEncoder` writes, as JSON values: every server event is compared.
@Suite struct JSONStreamEncoderTests {
    private struct Nested: Codable, Equatable {
        struct Inner: Codable, Equatable {
            var name: String
            var scores: [Int]
            var note: String?
        }
        var inner: Inner
        var list: [Inner]
        var counts: [String: Int]
        var ratio: Double
        var whole: Double
        var flag: Bool
        var missing: String?
        var kind: QuestionKind
    }

    private func sameJSON<T: Encodable>(_ value: T) throws {
        let reference = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? NSObject
        let streamed = try JSONSerialization.jsonObject(with: JSONStreamEncoder.encode(value)) as? NSObject
        let text = String(decoding: try JSONStreamEncoder.encode(value), as: UTF8.self)
        #expect(streamed == reference, "\(text)")
    }

    @Test func nestedObjectsArraysOptionalsAndDictionariesMatchJSONEncoder() throws {
        let inner = Nested.Inner(name: "a \"quoted\"\nline\\ with \u{01} control and ünïcödé 🎤", scores: [1, -2, 3], note: nil)
        let value = Nested(inner: inner, list: [inner, Nested.Inner(name: "", scores: [], note: "n")],
                           counts: ["um": 3, "like": 1, "uh": 0], ratio: 0.125, whole: 42, flag: true, missing: nil,
                           kind: .followUp)
        try sameJSON(value)
        let decoded = try JSONDecoder().decode(Nested.self, from: JSONStreamEncoder.encode(value))
        #expect(decoded == value)
    }

    @Test func dictionariesAreWrittenInSortedKeyOrderSoTheBytesNeverChange() throws {
        let text = String(decoding: try JSONStreamEncoder.encode(["zeta": 1, "alpha": 2, "mid": 3]), as: UTF8.self)
        #expect(text == #"{"alpha":2,"mid":3,"zeta":1}"#)
    }

    @Test func nonFiniteNumbersAreRefused() {
        #expect(throws: EncodingError.self) { try JSONStreamEncoder.encode(["x": Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONStreamEncoder.encode([Double.infinity]) }
    }

    @Test func everyServerEventMatchesJSONEncoder() throws {
        var feedback = LiveFeedback(questionID: "q1", elapsedMs: 12_345, targetMs: 90_000, wordCount: 42, wordsPerMinute: 131,
                                    pace: .good, fillerCount: 2, fillersPer100Words: 4.76, fillers: ["um": 1, "like": 1],
                                    audioMs: 12_000)
        feedback.hedges = ["maybe": 2]
        feedback.tip = CoachingTip(id: "result", text: "Name the result.")
        let score = AnswerScore(questionID: "q1", scores: [.structure: 80, .delivery: 55], overall: 70,
                                strength: .init(criterion: .structure, text: "Clear STAR order."),
                                improvement: .init(criterion: .delivery, text: "Fewer fillers."),
                                evidence: [.structure: "situation, task, action, result", .delivery: "6 fillers"],
                                rubric: TemplateRef(id: "rubric.default", version: "v1"))
        let events: [ServerMessage] = [
            .sessionStarted(SessionStarted(sessionID: "S", protocolVersion: 1, trackID: "t", trackTitle: "T", mode: .voice,
                                           sampleRate: 16_000, mainQuestionCount: 3, balanceMs: 600_000,
                                           transcription: .engine), replyTo: "1"),
            .sessionResumed(sessionID: "S", balanceMs: 5, resumeToken: "node-1.secret", replyTo: nil),
            .question(QuestionAsked(questionID: "q2", number: 2, kind: .followUp, text: "Why?",
                                    template: TemplateRef(id: "follow-up.why", version: "abc"), mainNumber: 1, targetSeconds: 90)),
            .feedbackLive(feedback),
            .feedbackLive(LiveFeedback(questionID: "q1", elapsedMs: 0, targetMs: 1, wordCount: 0, wordsPerMinute: nil,
                                       pace: .unknown, fillerCount: 0, fillersPer100Words: 0, fillers: [:], audioMs: 0)),
            .billingUpdated(BillingUpdate(balanceMs: 59_000, sessionUsedMs: 1_000)),
            .billingWarning(remainingMs: 60_000),
            .answerScored(score),
            .sessionEnded(SessionEnded(reason: .balanceExhausted, summary: SessionSummary(text: "done"))),
            .error(ProtocolError(.wrongState, "not now", fatal: true, requestID: "7")),
            .speechStarted(audioMs: 1_000), .speechStopped(audioMs: 2_000),
            .turnEnded(questionID: "q1", reason: .silence),
            .nudge(questionID: "q1", number: 1, text: "Take your time."),
            .answerTimeWarning(questionID: "q1", remainingMs: 30_000),
            .playbackStop(questionID: "q1", reason: "barge_in"),
            .transcript(questionID: "q1", text: "I led \"it\"", isFinal: false),
            .transcriptionStatus(.unavailable, message: "later"),
        ]
        for event in events {
            let streamed = try #require(try JSONSerialization.jsonObject(with: event.encoded()) as? NSDictionary)
            let reference = try #require(try JSONSerialization.jsonObject(with: ReferenceEncoding.encoded(event)) as? NSDictionary)
            #expect(streamed == reference, "\(event.type)")
            #expect(String(decoding: event.encoded(), as: UTF8.self).hasPrefix(#"{"type":""#), "type comes first")
        }
    }
}

/// The same events through `JSONEncoder`, for comparison.
private enum ReferenceEncoding {
    static func encoded(_ message: ServerMessage) throws -> Data {
        try JSONEncoder().encode(Box(message: message))
    }

    /// Encodes the message the way `ServerMessage.encoded` does, into a `JSONEncoder`: re-decodes the stream output as
    /// a tree only to re-encode it would compare the encoder with itself, so the payload is encoded here directly.
    struct Box: Encodable {
        let message: ServerMessage
        func encode(to encoder: any Encoder) throws { try message.encodeWire(to: encoder) }
    }
}
