import Foundation
import Testing
@testable import Interview

@Suite struct ClientMessageDecoderTests {
    func decode(_ text: String) -> Result<ClientEnvelope, ProtocolError> {
        ClientMessageDecoder.decode(Data(text.utf8))
    }

    func errorCode(_ text: String) -> ProtocolError.Code? {
        if case .failure(let error) = decode(text) { return error.code }
        return nil
    }

    @Test func decodesEveryMessageType() throws {
        #expect(try decode(#"{"type":"session.start","track":"behavioural","mode":"voice","sample_rate":48000,"protocol":1}"#).get()
            == ClientEnvelope(.sessionStart(SessionStartRequest(trackID: "behavioural", mode: .voice, sampleRate: 48_000))))
        #expect(try decode(#"{"type":"answer.text","text":"hi"}"#).get().message == .answerText("hi"))
        #expect(try decode(#"{"type":"transcript.partial","text":"h"}"#).get().message == .transcriptPartial("h", questionID: nil))
        #expect(try decode(#"{"type":"transcript.final","text":"hello"}"#).get().message == .transcriptFinal("hello", questionID: nil))
        #expect(try decode(#"{"type":"transcript.final","text":"hi","question_id":"q3"}"#).get().message == .transcriptFinal("hi", questionID: "q3"))
        #expect(try decode(#"{"type":"playback.started","question_id":"q1"}"#).get().message == .playback(questionID: "q1", playing: true))
        #expect(try decode(#"{"type":"playback.stopped","question_id":"q1"}"#).get().message == .playback(questionID: "q1", playing: false))
        #expect(try decode(#"{"type":"session.start","track":"t","record":true}"#).get().message
            == .sessionStart(SessionStartRequest(trackID: "t", record: true)))
        #expect(try decode(#"{"type":"answer.done"}"#).get().message == .answerDone)
        #expect(try decode(#"{"type":"session.end"}"#).get().message == .sessionEnd)
    }

    @Test func sessionStartDefaultsToTextAt16kHz() throws {
        let envelope = try decode(#"{"type":"session.start","track":"t"}"#).get()
        #expect(envelope.message == .sessionStart(SessionStartRequest(trackID: "t", mode: .text, sampleRate: 16_000)))
    }

    @Test func echoesStringAndNumberIDs() throws {
        #expect(try decode(#"{"type":"answer.done","id":"a1"}"#).get().id == "a1")
        #expect(try decode(#"{"type":"answer.done","id":7}"#).get().id == "7")
        if case .failure(let error) = decode(#"{"type":"nope","id":"x9"}"#) {
            #expect(error.requestID == "x9")
        } else {
            Issue.record("an unknown type must fail")
        }
    }

    @Test func rejectsMalformedInputWithSpecificCodes() {
        #expect(errorCode("{not json") == .invalidJSON)
        #expect(errorCode("[1,2]") == .invalidJSON)
        #expect(errorCode("42") == .invalidJSON)
        #expect(errorCode(#"{"text":"no type"}"#) == .invalidMessage)
        #expect(errorCode(#"{"type":"answer.shout"}"#) == .unknownType)
        #expect(errorCode(#"{"type":"answer.text"}"#) == .invalidMessage)
        #expect(errorCode(#"{"type":"answer.text","text":5}"#) == .invalidMessage)
        #expect(errorCode(#"{"type":"session.start"}"#) == .invalidMessage)
        #expect(errorCode(#"{"type":"session.start","track":"t","mode":"video"}"#) == .invalidMessage)
        #expect(errorCode(#"{"type":"session.start","track":"t","sample_rate":44100}"#) == .unsupportedSampleRate)
        #expect(errorCode(#"{"type":"session.start","track":"t","sample_rate":"16000"}"#) == .invalidMessage)
        #expect(errorCode(#"{"type":"session.start","track":"t","protocol":2}"#) == .unsupportedProtocolVersion)
        #expect(errorCode(#"{"type":"answer.done","id":{"a":1}}"#) == .invalidMessage)
    }

    /// 513 `[` crash Foundation's JSONDecoder (its nesting limit crossed at the last byte): such frames, and anything
    /// nested deeper than the limit, are refused before it.
    @Test func deepNestingIsRefusedBeforeTheDecoderSeesIt() throws {
        for prefix in ["", #"{"type":"#, #"{"type":"answer.text","text":"#, "["] {
            for depth in [33, 512, 513, 514, 5_000] {
                let frame = prefix + String(repeating: "[", count: depth)
                guard case .failure(let error) = decode(frame) else {
                    Issue.record("\(prefix) + \(depth) × [ decoded")
                    continue
                }
                #expect(error.code == .invalidJSON)
                #expect(error.message == "The message nests arrays or objects more than 32 levels deep.", "\(prefix) + \(depth) × [")
            }
        }
        // At the limit the decoder answers as for any other JSON that is not a message.
        let atLimit = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(errorCode(atLimit) == .invalidJSON)
        if case .failure(let error) = decode(atLimit) { #expect(error.message == "A message must be a JSON object with a \"type\" field.") }
        // Brackets inside strings are text, escaped quotes included.
        let text = #"\"]"# + String(repeating: "[", count: 600)
        #expect(try decode(#"{"type":"answer.text","text":"\#(text)"}"#).get().message == .answerText(#""]"# + String(repeating: "[", count: 600)))
    }

    @Test func nestingIsCountedOutsideStringsOnly() {
        #expect(JSONNesting.isWithinLimit(Data("[[[]]]".utf8), maxDepth: 3))
        #expect(!JSONNesting.isWithinLimit(Data("[[[[]]]]".utf8), maxDepth: 3))
        #expect(!JSONNesting.isWithinLimit(Data(#"{"a":{"b":[{"c":1}]}}"#.utf8), maxDepth: 3))
        #expect(JSONNesting.isWithinLimit(Data(#"["[[[[", "\"[[[[", "\\", "{{{{"]"#.utf8), maxDepth: 1))
        #expect(!JSONNesting.isWithinLimit(Data(#"["\\"[[]]]"#.utf8), maxDepth: 2), "an escaped backslash does not escape the quote")
    }

    @Test func errorsAreNotFatal() {
        if case .failure(let error) = decode("{") { #expect(!error.fatal) }
    }
}

@Suite struct ClientMessageDecoderStrictnessTests {
    func decode(_ text: String) -> Result<ClientEnvelope, ProtocolError> {
        ClientMessageDecoder.decode(Data(text.utf8))
    }

    @Test func nullCountsAsAbsent() throws {
        let envelope = try decode(#"{"type":"session.start","track":"t","mode":null,"sample_rate":null,"protocol":null,"id":null}"#).get()
        #expect(envelope == ClientEnvelope(.sessionStart(SessionStartRequest(trackID: "t"))))
    }

    @Test func numericIDsZeroAndOneAreIDsNotBooleans() throws {
        #expect(try decode(#"{"type":"answer.done","id":0}"#).get().id == "0")
        #expect(try decode(#"{"type":"answer.done","id":1}"#).get().id == "1")
        if case .failure(let error) = decode(#"{"type":"answer.done","id":true}"#) {
            #expect(error.code == .invalidMessage)
        } else {
            Issue.record("a boolean id must be refused")
        }
    }

    @Test func wrongTypesAreRefusedAndKeepTheID() {
        for frame in [#"{"type":"session.start","track":"t","protocol":"1","id":"p"}"#,
                      #"{"type":"session.start","track":"t","protocol":true,"id":"p"}"#,
                      #"{"type":"session.start","track":"t","sample_rate":"16000","id":"p"}"#,
                      #"{"type":"session.start","track":7,"id":"p"}"#] {
            guard case .failure(let error) = decode(frame) else {
                Issue.record("\(frame) must be refused")
                continue
            }
            #expect(error.code == .invalidMessage)
            #expect(error.requestID == "p")
        }
    }

    @Test func fieldsAMessageDoesNotUseAreIgnored() throws {
        #expect(try decode(#"{"type":"answer.done","text":5,"extra":{"a":1}}"#).get().message == .answerDone)
    }
}
