import Foundation
import InterviewFuzzing
import PropertyBased

/// Random interview runs for the property tests: mostly a session that starts, then any mix of valid, near-valid
/// and garbage frames, audio of any size, clock jumps, timers, settlements, balance changes, drops and resumes.
enum FuzzScenarioGenerator {
    static let scenario: Generator<FuzzScenario, AnySequence<Any>> = zip(balance, inputs)
        .map { balance, inputs in FuzzScenario(balanceMs: balance, inputs: inputs) }.eraseToAny()

    /// Zero, a few seconds (the end comes soon), the billing warning's range, or plenty.
    static let balance: Generator<Int64, AnySequence<Any>> = Gen.frequency(
        (1, Gen.always(Int64(0))),
        (2, Gen<Int64>.int64(in: 100...5_000)),
        (2, Gen<Int64>.int64(in: 5_000...90_000)),
        (3, Gen<Int64>.int64(in: 90_000...3_600_000)),
    ).map { $0 / 100 * 100 }.eraseToAny()  // the byte form's unit

    /// Usually a valid start first (half of them with the model interviewer), so most runs reach the live
    /// session's states.
    static let inputs: Generator<[FuzzInput], AnySequence<Any>> = zip(Gen.bool(0.85), Gen.bool(0.5), input.array(of: 0...150))
        .map { starts, model, rest in
            starts ? [validStart(track: model ? FuzzPlan.modelTrack : FuzzPlan.track)] + rest : rest
        }.eraseToAny()

    static func validStart(track: String) -> FuzzInput {
        .text(Data(#"{"type":"session.start","track":"\#(track)","id":"start"}"#.utf8), requestID: .known("start"))
    }

    static let input: Generator<FuzzInput, AnySequence<Any>> = Gen.frequency(
        (40, textFrame),
        (20, advance),
        (14, Gen.always(FuzzInput.timer)),
        (8, Gen.always(FuzzInput.settle)),
        (8, binaryFrame),
        (2, Gen.always(FuzzInput.speechStarted)),
        (3.5, Gen.always(FuzzInput.speechStopped)),
        (1.5, Gen.int(in: 0...3).map { FuzzInput.transcriptionFinished([nil, "", "um I led the migration", "we cut 40% of costs"][$0]) }),
        (2, Gen<Int64>.int64(in: -6_000...12_000).map { FuzzInput.balanceChanged(deltaMs: $0 * 100) }),
        (2, Gen.always(FuzzInput.disconnect)),
        (2, Gen.always(FuzzInput.resume)),
        (0.5, Gen.always(FuzzInput.close)),
        (0.5, Gen<Int64>.int64(in: 0...600).map { FuzzInput.drain(inMs: $0 * 100) }),
        (1.5, Gen.always(FuzzInput.modelFirstToken)),
        (3, Gen.int(in: 0...3).map { FuzzInput.modelWording([nil, "", "What did you measure?", String(repeating: "why ", count: 300)][$0]) }),
        (2, Gen.int(in: 0...5).map { FuzzInput.modelGrade($0 == 0 ? nil : $0) }),
        (1, Gen.bool().map { FuzzInput.reportWritten($0) }),
    ).eraseToAny()

    /// Mostly ticks' worth, sometimes long enough for nudges and time limits, rarely many minutes.
    static let advance: Generator<FuzzInput, AnySequence<Any>> = Gen.frequency(
        (6, Gen<Int64>.int64(in: 0...1_500)),
        (2, Gen<Int64>.int64(in: 1_500...70_000)),
        (1, Gen<Int64>.int64(in: 70_000...900_000)),
    ).map { FuzzInput.advance(ms: $0) }.eraseToAny()

    /// 20 ms at 16 kHz, odd, empty, tiny, or up to the server's limit.
    static let binaryFrame: Generator<FuzzInput, AnySequence<Any>> = Gen.frequency(
        (6, Gen.always(640)),
        (1, Gen.int(in: 0...3)),
        (2, Gen.int(in: 0...8_000)),
        (1, Gen.int(in: 8_000...FuzzScenario.maxBinaryFrame)),
    ).map { FuzzInput.binary(byteCount: $0) }.eraseToAny()

    static let textFrame = Generator<FuzzInput, Shrink.None<FuzzInput>> { rng in
        let message = FrameRecipe.random(using: &rng)
        switch Int.random(in: 0..<10, using: &rng) {
        case 0..<6: return message.frame
        case 6..<9: return message.mutated(using: &rng)
        default: return FrameRecipe.garbage(using: &rng)
        }
    }
}

/// A client message built field by field, with the id it carries; near-valid variants change one thing.
struct FrameRecipe {
    var fields: [String: Any]
    var id: FuzzInput.RequestID

    static let types = ["session.start", "answer.text", "transcript.partial", "transcript.final", "playback.started",
                        "playback.stopped", "session.resume", "answer.done", "session.end"]
    static let words = ["I", "we", "led", "the", "team", "um", "uh", "like", "basically", "maybe", "Kubernetes", "Berlin",
                        "40%", "3", "million", "result", "so", "because", "situation", "task", "action", "Ada", "."]

    static func random(using rng: inout some RandomNumberGenerator) -> FrameRecipe {
        let type = Bool.random(using: &rng) ? types.randomElement(using: &rng)! : ["answer.text", "answer.done"].randomElement(using: &rng)!
        var fields: [String: Any] = ["type": type]
        var id = FuzzInput.RequestID.known(nil)
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: break
        case 1:
            let text = "m\(Int.random(in: 0..<1_000, using: &rng))"
            fields["id"] = text
            id = .known(text)
        case 2:
            let number = Int.random(in: -5...100_000, using: &rng)
            fields["id"] = number
            id = .known(String(number))
        default:
            fields["id"] = NSNull()
        }
        switch type {
        case "session.start":
            fields["track"] = Int.random(in: 0..<5, using: &rng) == 0 ? "nope" : [FuzzPlan.track, FuzzPlan.modelTrack].randomElement(using: &rng)!
            if Bool.random(using: &rng) { fields["mode"] = ["text", "voice", "voice", "video"].randomElement(using: &rng)! }
            if Bool.random(using: &rng) { fields["sample_rate"] = [8_000, 16_000, 24_000, 48_000, 44_100, 0].randomElement(using: &rng)! }
            if Int.random(in: 0..<4, using: &rng) == 0 { fields["protocol"] = [1, 2, 0].randomElement(using: &rng)! }
            if Bool.random(using: &rng) { fields["record"] = Bool.random(using: &rng) }
        case "answer.text", "transcript.partial", "transcript.final":
            fields["text"] = sentence(using: &rng)
            if type != "answer.text", Bool.random(using: &rng) { fields["question_id"] = "q\(Int.random(in: 0...8, using: &rng))" }
        case "playback.started", "playback.stopped":
            fields["question_id"] = "q\(Int.random(in: 0...8, using: &rng))"
        case "session.resume":
            fields["session_id"] = InterviewFuzzDriver.sessionID
            fields["resume_token"] = "resume-token"
        default:
            break
        }
        return FrameRecipe(fields: fields, id: id)
    }

    static func sentence(using rng: inout some RandomNumberGenerator) -> String {
        switch Int.random(in: 0..<20, using: &rng) {
        case 0: return ""
        case 1: return String(repeating: "Name\(Int.random(in: 0..<10, using: &rng)) ", count: Int.random(in: 100...1_000, using: &rng))
        case 2: return (0..<Int.random(in: 1...400, using: &rng)).map { "Word\($0)" }.joined(separator: " ")
        case 3: return String(repeating: "\u{0001}\u{1F600}é\"\\", count: Int.random(in: 1...200, using: &rng))
        default:
            return (0..<Int.random(in: 1...30, using: &rng)).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
        }
    }

    var frame: FuzzInput { .text(Self.json(fields), requestID: id) }

    /// One field wrong, missing or unexpected, or the JSON itself cut or doubled; the id is kept when it survives.
    func mutated(using rng: inout some RandomNumberGenerator) -> FuzzInput {
        var fields = fields
        let keys = fields.keys.filter { $0 != "id" }.sorted()
        switch Int.random(in: 0..<8, using: &rng) {
        case 0:
            if let key = keys.randomElement(using: &rng) { fields[key] = nil }
        case 1:
            if let key = keys.randomElement(using: &rng) {
                fields[key] = [true, 1.5, "16000", [1], ["a": 1], NSNull(), -1, Int64.max].randomElement(using: &rng)!
            }
        case 2:
            fields["type"] = ["session.Start", "", "answer.text ", "x".padding(toLength: 3_000, withPad: "x", startingAt: 0), "error"]
                .randomElement(using: &rng)!
        case 3:
            fields[["extra", "balance_ms", "text", "question_id", "sample_rate"].randomElement(using: &rng)!] = "unexpected"
        case 4:
            fields["id"] = [true, 1.5, ["x"], ["id": 1]].randomElement(using: &rng)!
            return .text(Self.json(fields), requestID: .known(nil))
        case 5:
            let data = Self.json(fields)
            return .text(data.prefix(Int.random(in: 0..<max(1, data.count), using: &rng)), requestID: .unknown)
        case 6:
            return .text(Self.json(fields) + Self.json(fields), requestID: .unknown)
        default:
            return .text(Data(("[" + String(decoding: Self.json(fields), as: UTF8.self) + "]").utf8), requestID: .unknown)
        }
        return .text(Self.json(fields), requestID: id)
    }

    /// Not a message at all: random bytes, invalid UTF-8, JSON of another shape, deep nesting, huge numbers.
    static func garbage(using rng: inout some RandomNumberGenerator) -> FuzzInput {
        let data: Data = switch Int.random(in: 0..<7, using: &rng) {
        case 0: Data((0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        case 1: Data([0xC3, 0x28, 0xFF, 0xFE, 0x7B, 0x22])
        case 2: Data(["null", "[]", "42", "\"answer.done\"", "true", "{}", ""].randomElement(using: &rng)!.utf8)
        case 3: deepArrays(using: &rng)
        case 4: Data(#"{"type":"answer.done","id":1e400}"#.utf8)
        case 5: Data(#"{"type":"answer.done","id":99999999999999999999999}"#.utf8)
        default: Data(#"{"type":"answer.text","text":"\ud800"}"#.utf8)
        }
        return .text(data, requestID: .unknown)
    }

    /// Arrays opened and never closed, to any depth, often right at Foundation's limit of 512: one more at the last
    /// byte crashed its decoder.
    static func deepArrays(using rng: inout some RandomNumberGenerator) -> Data {
        let depth = Bool.random(using: &rng) ? Int.random(in: 1...5_000, using: &rng) : Int.random(in: 510...514, using: &rng)
        return Data(([#"{"type":"#, ""].randomElement(using: &rng)! + String(repeating: "[", count: depth)).utf8)
    }

    static func json(_ fields: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data()
    }
}
