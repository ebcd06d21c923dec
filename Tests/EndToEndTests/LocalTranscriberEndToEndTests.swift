import Audio
import EngineClient
import Foundation
import TestSupport
import Testing

/// What a client saw while it streamed audio: every event, in order.
struct Heard {
    var events: [[String: Any]] = []

    func of(_ type: String) -> [[String: Any]] { events.filter { $0["type"] as? String == type } }

    var transcripts: [(text: String, final: Bool, questionID: String)] {
        of("transcript").map { ($0["text"] as? String ?? "", $0["final"] as? Bool ?? false, $0["question_id"] as? String ?? "") }
    }
}

extension WebSocketClient {
    /// Streams `pcm` (16 kHz) in 20 ms frames in real time, then silence, until an event of type `until` arrives or
    /// `maxSilence` seconds after the audio; collects every event meanwhile.
    func stream(_ pcm: Data, thenSilenceUntil until: String, maxSilence: TimeInterval, into heard: inout Heard) {
        let microphone = Microphone(client: self, pcm: pcm)
        defer { microphone.stop() }
        let deadline = Date().addingTimeInterval(Double(pcm.count) / 32_000 + maxSilence)
        while deadline.timeIntervalSinceNow > 0 {
            guard case .text(let text)? = try? receive(timeout: deadline.timeIntervalSinceNow) else { return }
            guard let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { continue }
            heard.events.append(json)
            if json["type"] as? String == until { return }
        }
    }
}

/// The engine with the real local transcriber: the candidate's spoken words come back as `transcript` events, are
/// stored as the answer and choose the follow-up.
@Suite(.serialized) struct LocalTranscriberEndToEndTests {
    static let answer = "At my last job a colleague wanted to rewrite our billing service all at once. My goal was to keep "
        + "every invoice correct. I disagreed, so I proposed a small prototype first and I wrote a comparison for the team. "
        + "As a result we shipped the new billing service safely and the customers were happy."

    /// The answer spoken by espeak-ng, resampled to 16 kHz with the Audio module.
    static func spokenAnswer() throws -> Data {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-answer-\(UUID().uuidString).wav")
        defer { try? FileManager.default.removeItem(at: file) }
        try Espeak.speak(answer, to: file, wordsPerMinute: 150)
        return try WAVFile(contentsOf: file).resampled(to: 16_000).pcm16
    }

    @Test func aSpokenAnswerIsTranscribedShownStoredAndChoosesTheFollowUp() throws {
        let transcriber = try LocalService.transcriber()
        defer { transcriber.stop() }
        let engine = try TestEngine { configuration in
            configuration.speechToTextURL = transcriber.url
            configuration.speechToTextProbeIntervalSeconds = 0.2
            configuration.speechToTextTimeoutSeconds = 30
        }
        let health = try JSONSerialization.jsonObject(with: engine.http.send("GET", "v1/health").body) as? [String: Any]
        #expect(health?["transcription"] as? String == "engine")
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "voice"])
        let started = try client.next("session.started")
        #expect(started["transcription"] as? String == "engine")
        let sessionID = try #require(started["session_id"] as? String)
        _ = try client.next("question")

        var heard = Heard()
        let pcm = Data(count: 32_000) + (try Self.spokenAnswer())
        client.stream(pcm, thenSilenceUntil: "question", maxSilence: 30, into: &heard)

        // Interim transcripts while the long stretches ran, a final one for each stretch, all for q1.
        let transcripts = heard.transcripts
        #expect(transcripts.contains { !$0.final })
        let finals = transcripts.filter(\.final)
        #expect(!finals.isEmpty)
        #expect(Set(transcripts.map(\.questionID)) == ["q1"])
        let shown = finals.map(\.text).joined(separator: " ")
        for word in ["billing", "prototype", "comparison", "customers"] {
            #expect(shown.lowercased().contains(word), "\(word) not in \(shown)")
        }
        // The turn ended on silence, and the words chose the follow-up: no numbers were given.
        #expect(heard.of("turn.ended").first?["reason"] as? String == "silence")
        let followUp = try #require(heard.of("question").last)
        #expect((followUp["template"] as? [String: Any])?["id"] as? String == "follow-up.no-numbers")
        #expect(heard.of("transcription.status").isEmpty)

        // What was shown is what was stored.
        let stored = try engine.waitForSession(sessionID, token: token) {
            ($0["turns"] as? [[String: Any]])?.first?["answer_text"] as? String != nil
        }
        #expect((stored["turns"] as? [[String: Any]])?.first?["answer_text"] as? String == shown)
    }
}

/// The transcriber down, hanging or failing: the interview goes on, and the client is told.
@Suite struct TranscriberTroubleEndToEndTests {
    /// One second of a 180 Hz hum at 8 000: speech to the detector, too short for an interim transcript.
    static var hum: Data {
        var hum = Data()
        for index in 0..<16_000 {
            let sample = Int16(sin(2 * Double.pi * 180 * Double(index) / 16_000) * 8_000)
            withUnsafeBytes(of: sample.littleEndian) { hum.append(contentsOf: $0) }
        }
        return hum
    }

    static func health(_ engine: TestEngine) throws -> String? {
        (try JSONSerialization.jsonObject(with: engine.http.send("GET", "v1/health").body) as? [String: Any])?["transcription"] as? String
    }

    @Test func aTranscriberThatIsDownLeavesTranscriptsToTheClient() throws {
        let gone = try LoopbackHTTPServer.answering { _ in (200, "{}") }
        let port = gone.port
        gone.stop()  // nothing listens there now
        let engine = try TestEngine { configuration in
            configuration.speechToTextURL = URL(string: "http://127.0.0.1:\(port)")
            configuration.speechToTextProbeIntervalSeconds = 0.1
        }
        var status = try Self.health(engine)
        for _ in 0..<100 where status != "unavailable" {
            Thread.sleep(forTimeInterval: 0.05)
            status = try Self.health(engine)
        }
        #expect(status == "unavailable")
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "voice"])
        let started = try client.next("session.started")
        #expect(started["transcription"] as? String == "client")
        let sessionID = try #require(started["session_id"] as? String)
        _ = try client.next("question")
        try client.send(json: ["type": "transcript.final", "question_id": "q1", "text": "I proposed a prototype and we cut errors by 40 percent."])
        try client.send(json: ["type": "answer.done"])
        #expect(try client.next("turn.ended")["reason"] as? String == "answer_done")
        _ = try client.next("question")
        let stored = try engine.waitForSession(sessionID, token: token) { ($0["turns"] as? [[String: Any]])?.first?["answer_text"] != nil }
        #expect((stored["turns"] as? [[String: Any]])?.first?["answer_text"] as? String
            == "I proposed a prototype and we cut errors by 40 percent.")
    }

    @Test(arguments: ["hangs", "fails"])
    func aTranscriberThatHangsOrFailsDoesNotStopTheInterview(_ trouble: String) throws {
        // Its health check answers; transcriptions never answer, or answer 500.
        let stt = try LoopbackHTTPServer.answering { request in
            if request.head.hasPrefix("GET ") { return (200, #"{"status":"ok"}"#) }
            return trouble == "hangs" ? nil : (500, #"{"error":{"message":"model crashed"}}"#)
        }
        defer { stt.stop() }
        let engine = try TestEngine { configuration in
            configuration.speechToTextURL = URL(string: "http://127.0.0.1:\(stt.port)")
            configuration.speechToTextTimeoutSeconds = 1
            configuration.metricsToken = OperationsEndToEndTests.metricsToken
        }
        #expect(try Self.health(engine) == "engine")
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "voice", "record": true])
        let started = try client.next("session.started")
        #expect(started["transcription"] as? String == "engine")
        let sessionID = try #require(started["session_id"] as? String)
        _ = try client.next("question")

        var heard = Heard()
        client.stream(Data(count: 32_000) + Self.hum, thenSilenceUntil: "question", maxSilence: 20, into: &heard)
        // The client is told, the turn ends on silence, the next question comes.
        let status = try #require(heard.of("transcription.status").first)
        #expect(status["transcription"] as? String == "unavailable")
        #expect(heard.of("turn.ended").first?["reason"] as? String == "silence")
        #expect(heard.of("question").count == 1)
        #expect(heard.transcripts.isEmpty)
        #expect(stt.requests.contains { $0.head.hasPrefix("POST /v1/audio/transcriptions ") })
        // The operator sees it: failed transcription calls, none succeeded, the audio that came in.
        let metrics = try OperationsEndToEndTests.scrape(engine.http)
        #expect((metrics["jestry_external_calls_total{service=\"transcription\",outcome=\"failed\"}"] ?? 0) >= 1)
        #expect(metrics["jestry_external_calls_total{service=\"transcription\",outcome=\"ok\"}"] == 0)
        #expect((metrics["jestry_external_call_latency_seconds_count{service=\"transcription\"}"] ?? 0) >= 1)
        #expect((metrics["jestry_audio_frames_received_total"] ?? 0) >= 150, "at least 3 s of 20 ms frames")
        // Nothing lost: the answer is stored with its audio, and the recording has it all.
        try client.send(json: ["type": "session.end"])
        _ = try client.next("session.ended")
        let stored = try engine.waitForSession(sessionID, token: token) { $0["report"] != nil }
        let turn = try #require((stored["turns"] as? [[String: Any]])?.first)
        #expect((turn["audio_ms"] as? Int ?? 0) >= 3_000)
        let recording = try engine.http.send("GET", "v1/sessions/\(sessionID)/recording", token: token)
        #expect(try WAVFile(parsing: recording.body).durationMs >= 3_000)
    }
}
