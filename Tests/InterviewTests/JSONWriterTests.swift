import Foundation
import Testing
import TestSupport
@testable import Interview

/// The frequent events are written straight into bytes; they must be exactly the bytes their `Codable` description
/// (`encodeWire`, through `JSONStreamEncoder`) gives, for any values.
@Suite struct JSONWriterTests {
    /// Escapes of every kind, non-ASCII text of 2, 3 and 4 bytes a character, and grapheme clusters.
    static let strings = ["", "q1", "a \"quoted\" word", #"back\slash\"#, "line\nbreak\r\n\ttab",
                          "\u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}", "ünïcödé", "日本語の答え", "🎤 emoji 👩🏽‍💻",
                          "/slash/ and </script>", "trailing\\", "\"", "ends with \u{1b}"]
    static let integers: [Int64] = [0, 1, -1, 9, 10, -10, 42, 999, 1_000, 123_456_789, -987_654_321, Int64(Int32.max) + 1,
                                    9_007_199_254_740_993, Int64.max, Int64.min, Int64.min + 1]
    static let doubles: [Double] = [0, -0.0, 0.5, -0.5, 1e-7, 123_456.789, 4.76, 42, -3, 0.1, 1e15, 1e15 - 1, -1e15, 1e16,
                                    123_456_789_012_345.6, 1e300, -2.5e-300, Double.leastNonzeroMagnitude,
                                    Double.greatestFiniteMagnitude, 1.0 / 3]

    static func string(_ rng: inout SeededGenerator) -> String {
        let first = strings.randomElement(using: &rng)!
        return rng.next() % 3 == 0 ? first : first + strings.randomElement(using: &rng)!
    }

    static func integer(_ rng: inout SeededGenerator) -> Int64 {
        rng.next() % 2 == 0 ? integers.randomElement(using: &rng)! : Int64(bitPattern: rng.next()) >> (rng.next() % 64)
    }

    static func counts(_ rng: inout SeededGenerator) -> [String: Int] {
        var counts: [String: Int] = [:]
        for _ in 0..<(rng.next() % 5) { counts[string(&rng)] = Int(integer(&rng)) }
        return counts
    }

    static func feedback(_ rng: inout SeededGenerator) -> LiveFeedback {
        let wordsPerMinute = rng.next() % 3 == 0 ? nil : Int(integer(&rng))
        let pace = [LiveFeedback.Pace.unknown, .slow, .good, .fast].randomElement(using: &rng)!
        var feedback = LiveFeedback(questionID: string(&rng), elapsedMs: integer(&rng), targetMs: integer(&rng),
                                    wordCount: Int(integer(&rng)), wordsPerMinute: wordsPerMinute, pace: pace,
                                    fillerCount: Int(integer(&rng)), fillersPer100Words: doubles.randomElement(using: &rng)!,
                                    fillers: counts(&rng), audioMs: integer(&rng))
        feedback.timeLimitMs = integer(&rng)
        feedback.speakingMs = integer(&rng)
        feedback.hedges = counts(&rng)
        feedback.longPauses = Int(integer(&rng))
        feedback.starParts = AnswerAnalysis.StarPart.allCases.filter { _ in rng.next() % 2 == 0 }
        feedback.specifics = LiveSpecifics(numbers: rng.next() % 2 == 0, named: (0..<(rng.next() % 4)).map { _ in string(&rng) },
                                           outcome: rng.next() % 2 == 0)
        feedback.iCount = Int(integer(&rng))
        feedback.weCount = Int(integer(&rng))
        feedback.clipping = rng.next() % 2 == 0
        feedback.tip = rng.next() % 3 == 0 ? nil : CoachingTip(id: string(&rng), text: string(&rng))
        return feedback
    }

    /// One of each directly written event, with random values.
    static func frequentEvents(_ rng: inout SeededGenerator) -> [ServerMessage] {
        let errorCode = ProtocolError.Code.allCases.randomElement(using: &rng)!
        let requestID = rng.next() % 2 == 0 ? nil : string(&rng)
        let reason = [TurnEndReason.answerDone, .silence, .timeLimit].randomElement(using: &rng)!
        return [
            .feedbackLive(feedback(&rng)),
            .billingUpdated(BillingUpdate(balanceMs: integer(&rng), sessionUsedMs: integer(&rng))),
            .billingWarning(remainingMs: integer(&rng)),
            .speechStarted(audioMs: integer(&rng)),
            .speechStopped(audioMs: integer(&rng)),
            .turnEnded(questionID: string(&rng), reason: reason),
            .transcript(questionID: string(&rng), text: string(&rng), isFinal: rng.next() % 2 == 0),
            .error(ProtocolError(errorCode, string(&rng), fatal: rng.next() % 2 == 0, requestID: requestID)),
        ]
    }

    /// What `encoded()` wrote for these events before they were written directly.
    static func throughEncoder(_ event: ServerMessage) throws -> Data {
        try JSONStreamEncoder.encode(WireEvent(message: event))
    }

    @Test func frequentEventsAreTheBytesTheirCodableDescriptionGives() throws {
        var rng = SeededGenerator(state: 20_261_202)
        var written = Set<String>()
        for _ in 0..<400 {
            for event in Self.frequentEvents(&rng) {
                var writer = JSONWriter(capacity: 16)
                let writtenDirectly = try event.writeFrequent(to: &writer)
                #expect(writtenDirectly, "\(event.type) is written directly")
                written.insert(event.type)
                let expected = try Self.throughEncoder(event)
                #expect(Data(writer.bytes) == expected,
                        "\(String(decoding: writer.bytes, as: UTF8.self))\n\(String(decoding: expected, as: UTF8.self))")
                #expect(event.encoded() == expected)
            }
        }
        #expect(written.count == 8)
    }

    @Test func theRarerEventsAreLeftToTheEncoder() throws {
        var writer = JSONWriter(capacity: 16)
        let nudge = ServerMessage.nudge(questionID: "q1", number: 1, text: "Take your time.")
        let writtenDirectly = try nudge.writeFrequent(to: &writer)
        #expect(!writtenDirectly)
        #expect(writer.bytes.isEmpty)
        #expect(try nudge.encoded() == Self.throughEncoder(nudge))
    }

    @Test func writtenFeedbackReadsBackAsTheSameValues() throws {
        var rng = SeededGenerator(state: 7)
        for _ in 0..<200 {
            let feedback = Self.feedback(&rng)
            let json = try #require(try JSONSerialization.jsonObject(with: ServerMessage.feedbackLive(feedback).encoded())
                as? [String: Any])
            #expect(json["type"] as? String == "feedback.live")
            #expect(json["question_id"] as? String == feedback.questionID)
            #expect((json["elapsed_ms"] as? NSNumber)?.int64Value == feedback.elapsedMs)
            #expect((json["target_ms"] as? NSNumber)?.int64Value == feedback.targetMs)
            #expect((json["word_count"] as? NSNumber)?.intValue == feedback.wordCount)
            if let wordsPerMinute = feedback.wordsPerMinute {
                #expect((json["words_per_minute"] as? NSNumber)?.intValue == wordsPerMinute)
            } else {
                #expect(json["words_per_minute"] is NSNull)
            }
            #expect(json["pace"] as? String == feedback.pace.rawValue)
            #expect((json["filler_count"] as? NSNumber)?.intValue == feedback.fillerCount)
            #expect((json["fillers_per_100_words"] as? NSNumber)?.doubleValue == feedback.fillersPer100Words)
            #expect(json["fillers"] as? [String: Int] == feedback.fillers)
            #expect((json["audio_ms"] as? NSNumber)?.int64Value == feedback.audioMs)
            #expect((json["time_limit_ms"] as? NSNumber)?.int64Value == feedback.timeLimitMs)
            #expect((json["speaking_ms"] as? NSNumber)?.int64Value == feedback.speakingMs)
            #expect(json["hedges"] as? [String: Int] == feedback.hedges)
            #expect((json["long_pauses"] as? NSNumber)?.intValue == feedback.longPauses)
            #expect(json["star_parts"] as? [String] == feedback.starParts.map(\.rawValue))
            let specifics = try #require(json["specifics"] as? [String: Any])
            #expect(specifics["numbers"] as? Bool == feedback.specifics.numbers)
            #expect(specifics["named"] as? [String] == feedback.specifics.named)
            #expect(specifics["outcome"] as? Bool == feedback.specifics.outcome)
            #expect((json["i_count"] as? NSNumber)?.intValue == feedback.iCount)
            #expect((json["we_count"] as? NSNumber)?.intValue == feedback.weCount)
            #expect(json["clipping"] as? Bool == feedback.clipping)
            if let tip = feedback.tip {
                #expect(json["tip"] as? [String: String] == ["id": tip.id, "text": tip.text])
            } else {
                #expect(json["tip"] is NSNull)
            }
            #expect(json.count == 21, "type and the 20 fields, nothing else")
        }
    }

    @Test func theOtherFrequentEventsReadBackAsTheSameValues() throws {
        var rng = SeededGenerator(state: 11)
        for _ in 0..<200 {
            for event in Self.frequentEvents(&rng) {
                let json = try #require(try JSONSerialization.jsonObject(with: event.encoded()) as? [String: Any])
                #expect(json["type"] as? String == event.type)
                switch event {
                case .billingUpdated(let update):
                    #expect((json["balance_ms"] as? NSNumber)?.int64Value == update.balanceMs)
                    #expect((json["session_used_ms"] as? NSNumber)?.int64Value == update.sessionUsedMs)
                case .billingWarning(let remaining):
                    #expect((json["remaining_ms"] as? NSNumber)?.int64Value == remaining)
                case .speechStarted(let audioMs), .speechStopped(let audioMs):
                    #expect((json["audio_ms"] as? NSNumber)?.int64Value == audioMs)
                case .turnEnded(let questionID, let reason):
                    #expect(json["question_id"] as? String == questionID)
                    #expect(json["reason"] as? String == reason.rawValue)
                case .transcript(let questionID, let text, let isFinal):
                    #expect(json["question_id"] as? String == questionID)
                    #expect(json["text"] as? String == text)
                    #expect(json["final"] as? Bool == isFinal)
                case .error(let error):
                    #expect(json["code"] as? String == error.code.rawValue)
                    #expect(json["message"] as? String == error.message)
                    #expect(json["fatal"] as? Bool == error.fatal)
                    #expect(json["id"] as? String == error.requestID)
                    #expect(json.count == (error.requestID == nil ? 4 : 5), "no id key without a request id")
                default:
                    continue
                }
            }
        }
    }

    @Test func integersAreWrittenAsStringFormatsThem() {
        var rng = SeededGenerator(state: 3)
        let values = Self.integers + (0..<2_000).map { _ in Self.integer(&rng) }
        for value in values {
            var writer = JSONWriter(capacity: 0)
            writer.int(value)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == String(value))
        }
        for value in [0, 1, UInt64(Int64.max) + 1, UInt64.max] {
            var writer = JSONWriter(capacity: 0)
            writer.int(value)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == String(value))
        }
    }

    @Test func doublesAreWholeWithoutAFractionBelow1e15AndOtherwiseAsSwiftPrintsThem() throws {
        let expected = ["0", "0", "0.5", "-0.5", "1e-07", "123456.789", "4.76", "42", "-3", "0.1", "1000000000000000.0",
                        "999999999999999", "-1000000000000000.0", "1e+16", "123456789012345.6", "1e+300", "-2.5e-300",
                        "5e-324", "1.7976931348623157e+308", "0.3333333333333333"]
        #expect(expected.count == Self.doubles.count)
        for (value, text) in zip(Self.doubles, expected) {
            var writer = JSONWriter(capacity: 0)
            try writer.double(value)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == text)
            let parsed = try JSONSerialization.jsonObject(with: Data(writer.bytes), options: .fragmentsAllowed) as? NSNumber
            #expect(parsed?.doubleValue == value)
        }
        for value in [Double.nan, .infinity, -.infinity] {
            var writer = JSONWriter(capacity: 0)
            #expect(throws: JSONWriter.NonFiniteNumber.self) { try writer.double(value) }
        }
    }

    @Test func stringsEscapeQuotesBackslashesAndControlCharactersOnly() throws {
        var writer = JSONWriter(capacity: 0)
        writer.string("a\"b\\c\nd\re\tf\u{0}g\u{1f}h\u{7f}ü🎤/")
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #""a\"b\\c\nd\re\tf\u0000g\u001fh"# + "\u{7f}ü🎤/\"")
        for text in Self.strings {
            var writer = JSONWriter(capacity: 0)
            writer.string(text)
            #expect(try JSONSerialization.jsonObject(with: Data(writer.bytes), options: .fragmentsAllowed) as? String == text)
        }
    }

    @Test func commasSeparateObjectFieldsAndArrayElementsAtEveryDepth() throws {
        var writer = JSONWriter(capacity: 0)
        writer.beginArray()
        writer.beginObject()
        writer.endObject()
        writer.beginObject()
        writer.key("a"); writer.int(1)
        writer.key("b"); writer.beginArray(); writer.null(); writer.bool(true); writer.endArray()
        writer.key("c"); writer.object(["z": 1, "y": 2])
        writer.endObject()
        writer.beginArray()
        writer.endArray()
        writer.string("s")
        writer.endArray()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"[{},{"a":1,"b":[null,true],"c":{"y":2,"z":1}},[],"s"]"#)
    }
}
