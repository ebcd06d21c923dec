import Audio
import Bot
import EngineClient
import Foundation
import TestSupport
import Testing

/// A bot speaks a real (espeak-ng) answer in real time: the engine hears speech, ends the turn on silence, scores the
/// answer, and keeps the recording the candidate consented to.
@Suite struct VoiceEndToEndTests {
    @Test func aSpokenAnswerIsHeardScoredAndRecorded() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-voice-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let answer = "At my last job our team disagreed about a database migration. I proposed a prototype and I measured "
            + "both options. As a result we cut the error rate by forty percent in three weeks."
        try Espeak.speak(answer, to: folder.appendingPathComponent("answer.wav"), wordsPerMinute: 150)
        try """
            name: Voice candidate
            track: behavioural
            mode: voice
            sample_rate: 16000
            answers:
              - audio: answer.wav
                text: \(answer)
            when_out_of_answers: end
            """.write(to: folder.appendingPathComponent("voice.yaml"), atomically: true, encoding: .utf8)

        let engine = try TestEngine()
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        var script = try BotScript.load(from: folder.appendingPathComponent("voice.yaml"))
        script.record = true
        let lines = try BotRunner(script: script, scriptFolder: folder).run(on: client)
        client.shutdown()

        let speech = lines.compactMap { if case .speech(let started, let at) = $0 { (started, at) } else { nil } }
        #expect(speech.first?.0 == true)
        #expect(speech.last?.0 == false)
        #expect(lines.contains(.turnEnded(questionID: "q1", reason: "silence")))
        let scored = lines.compactMap { if case .scored(let id, let overall, _) = $0 { (id, overall) } else { nil } }
        #expect(scored.first?.0 == "q1")
        guard case .started(let sessionID) = lines.first else {
            Issue.record("no session")
            return
        }

        let stored = try engine.waitForSession(sessionID, token: token) { $0["report"] != nil }
        let turn = try #require((stored["turns"] as? [[String: Any]])?.first)
        #expect(turn["answer_text"] as? String == answer)
        let score = try #require(turn["score"] as? [String: Any])
        // Situation, action and result were said; no task or goal was: three STAR parts of four.
        #expect((score["scores"] as? [String: Int])?["structure"] == 75)
        #expect((score["evidence"] as? [String: String])?["structure"] == "STAR parts heard: situation, action, result (3 of 4)")
        #expect((stored["report"] as? [String: Any])?["questions"] as? [Any] != nil)

        // The recording: the owner gets a WAV as long as what was streamed; anyone else gets a 404.
        let recording = try engine.http.send("GET", "v1/sessions/\(sessionID)/recording", token: token)
        #expect(recording.status == 200)
        #expect(recording.headers["content-type"] == "audio/wav")
        let wav = try WAVFile(parsing: recording.body)
        #expect(wav.sampleRate == 16_000)
        let spoken = try WAVFile(contentsOf: folder.appendingPathComponent("answer.wav")).durationMs
        #expect(wav.durationMs >= spoken)
        #expect(try engine.http.send("GET", "v1/sessions/\(sessionID)/recording", token: try engine.signUp()).status == 404)
    }

    /// The recording gathers audio in chunks; a dropped connection writes out what was gathered, and the resumed
    /// session goes on recording into the same file, every frame in order.
    @Test func aDroppedSessionsRecordingIsOnDiskAndGoesOnAfterTheResume() throws {
        let engine = try TestEngine()
        let token = try engine.signUp()
        let first = try engine.connect(token: token)
        try first.send(json: ["type": "session.start", "track": "behavioural", "mode": "voice", "record": true])
        let started = try first.next("session.started")
        let sessionID = try #require(started["session_id"] as? String)
        let resumeToken = try #require(started["resume_token"] as? String)
        _ = try first.next("question")
        // 40 distinct quiet frames; the first 20 (12,800 bytes) are less than one chunk.
        let frames = (0..<40).map { n in Data((0..<640).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ n) & 0x0F }) }
        for frame in frames.prefix(20) { first.send(binary: frame) }
        // An unknown message is answered with an error in turn: every frame before it was taken.
        try first.send(json: ["type": "sync.point"])
        #expect(try first.next("error")["fatal"] as? Bool == false)
        first.shutdown()

        let file = engine.dataDirectory.appendingPathComponent("recordings/\(sessionID).wav")
        let parked = frames.prefix(20).reduce(Data(), +)
        let onDisk = eventually("the parked session's audio is on disk") {
            (try? Data(contentsOf: file)).flatMap { $0.count >= 44 + parked.count ? $0 : nil }
        }
        #expect(onDisk?.dropFirst(44) == parked)

        let again = try engine.connect(token: token)
        defer { again.shutdown() }
        try again.send(json: ["type": "session.resume", "id": "r1", "session_id": sessionID, "resume_token": resumeToken])
        _ = try again.next("session.resumed")
        for frame in frames.suffix(20) { again.send(binary: frame) }
        try again.send(json: ["type": "session.end"])
        _ = try again.next("session.ended")
        _ = try engine.waitForSession(sessionID, token: token) { $0["report"] != nil }
        let recording = try engine.http.send("GET", "v1/sessions/\(sessionID)/recording", token: token)
        #expect(try WAVFile(parsing: recording.body).pcm16 == frames.reduce(Data(), +))
    }

    @Test func withoutConsentNothingIsRecorded() throws {
        let engine = try TestEngine()
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "voice"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        for _ in 0..<10 { client.send(binary: Data(count: 640)) }
        try client.send(json: ["type": "session.end"])
        _ = try client.next("session.ended")
        #expect(try engine.http.send("GET", "v1/sessions/\(sessionID)/recording", token: token).status == 404)
    }
}

/// With a speech-to-text service configured, the engine transcribes spoken answers itself.
@Suite struct ServerTranscriptionEndToEndTests {
    @Test func theEnginesTranscriberFillsInTheAnswer() throws {
        let stt = try LoopbackHTTPServer.answering { _ in (200, #"{"text":"I cut our error rate by 40% in three weeks."}"#) }
        defer { stt.stop() }
        let engine = try TestEngine { configuration in
            configuration.speechToTextURL = URL(string: "http://127.0.0.1:\(stt.port)")
            configuration.speechToTextKey = "test-key"
        }
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "voice"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        _ = try client.next("question")
        // One second of quiet, a second of a loud hum (speech to the detector), then quiet until the turn ends.
        var hum = Data()
        for index in 0..<16_000 {
            let sample = Int16(sin(2 * Double.pi * 180 * Double(index) / 16_000) * 8_000)
            withUnsafeBytes(of: sample.littleEndian) { hum.append(contentsOf: $0) }
        }
        let microphone = Microphone(client: client, pcm: Data(count: 32_000) + hum)
        defer { microphone.stop() }
        let ended = try client.next("turn.ended", limit: 200)
        #expect(ended["reason"] as? String == "silence")
        // (The health probe's GETs come and go beside it.)
        let request = try #require(stt.requests.first { $0.head.hasPrefix("POST ") })
        #expect(request.head.hasPrefix("POST /v1/audio/transcriptions "))
        #expect(request.head.lowercased().contains("authorization: bearer test-key"))
        #expect(request.body.range(of: Data("RIFF".utf8)) != nil)
        #expect(request.body.range(of: Data("whisper-1".utf8)) != nil)
        let stored = try engine.waitForSession(sessionID, token: token) { ($0["turns"] as? [[String: Any]])?.first?["answer_text"] != nil }
        #expect((stored["turns"] as? [[String: Any]])?.first?["answer_text"] as? String == "I cut our error rate by 40% in three weeks.")
    }
}
