import Bot
import EngineClient
import Foundation
import Testing

@Suite struct InterviewEndToEndTests {
    @Test func aBotCompletesAWholeInterviewAndItIsStored() throws {
        let engine = try TestEngine()
        let token = try engine.signUp()
        let scriptURL = TestEngine.repository.appendingPathComponent("Tests/Bots/vague-candidate.yaml")
        let runner = BotRunner(script: try BotScript.load(from: scriptURL), scriptFolder: scriptURL.deletingLastPathComponent())
        let client = try engine.connect(token: token)
        let lines = try runner.run(on: client)
        client.shutdown()

        let questions = lines.compactMap { if case .question(let id, let kind, let template, _) = $0 { (id, kind, template) } else { nil } }
        // The vague first answer ("we", no result, no numbers) draws a follow-up from a template.
        #expect(questions.first?.1 == "main")
        #expect(questions.count > 5)
        #expect(questions.contains { $0.1 == "follow_up" })
        #expect(lines.last == .closed(code: 1000))
        let ended = lines.compactMap { if case .ended(let reason, _, _) = $0 { reason } else { nil } }
        #expect(ended == ["completed"])
        guard case .started(let sessionID) = lines.first else {
            Issue.record("the session never started")
            return
        }

        let stored = try engine.waitForSession(sessionID, token: token) { ($0["session"] as? [String: Any])?["end_reason"] as? String == "completed" }
        let turns = try #require(stored["turns"] as? [[String: Any]])
        #expect(turns.count == questions.count)
        #expect(turns.allSatisfy { ($0["template_version"] as? String)?.count == 12 })
        #expect(turns.map { $0["template_id"] as? String } == questions.map(\.2))
        #expect(turns.first?["answer_text"] as? String != nil)
        #expect((stored["summary"] as? [String: Any])?["questions_asked"] as? Int == questions.count)

        // The history lists it for its owner only.
        let list = try engine.http.send("GET", "v1/sessions", token: token).json["sessions"] as? [[String: Any]]
        #expect(list?.map { $0["id"] as? String } == [sessionID])
        let stranger = try engine.signUp()
        #expect(try engine.http.send("GET", "v1/sessions/\(sessionID)", token: stranger).status == 404)
        #expect((try engine.http.send("GET", "v1/sessions", token: stranger).json["sessions"] as? [Any])?.isEmpty == true)
    }

    @Test func liveFeedbackStreamsWhileAnswering() throws {
        let engine = try TestEngine()
        let client = try engine.connect(token: try engine.signUp())
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        _ = try client.next("question")
        try client.send(json: ["type": "answer.text", "text": "Um, so, at my last job I, like, led a migration"])
        let feedback = try client.next("feedback.live")
        #expect(feedback["word_count"] as? Int == 11)
        #expect((feedback["fillers"] as? [String: Int]) == ["um": 1, "so": 1, "like": 1])
        #expect(feedback["question_id"] as? String == "q1")
        #expect(feedback["target_ms"] as? Int == 120_000)
    }

    @Test func aVoiceAnswerWithAudioAndTranscripts() throws {
        let engine = try TestEngine()
        let client = try engine.connect(token: try engine.signUp())
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "voice", "sample_rate": 16_000])
        #expect(try client.next("session.started")["mode"] as? String == "voice")
        _ = try client.next("question")
        for _ in 0..<25 { client.send(binary: Data(count: 640)) }  // 0.5 s of silence in 20 ms frames
        try client.send(json: ["type": "transcript.partial", "text": "I led"])
        try client.send(json: ["type": "transcript.final", "text": "I led the rollout and cut errors by 30%"])
        var audioMs = 0
        for _ in 0..<20 where audioMs < 500 {
            audioMs = try client.next("feedback.live")["audio_ms"] as? Int ?? 0
        }
        #expect(audioMs == 500)
        try client.send(json: ["type": "answer.done"])
        #expect(try client.next("question")["question_id"] as? String == "q2")
    }

    @Test func theClientCanEndTheSession() throws {
        let engine = try TestEngine()
        let client = try engine.connect(token: try engine.signUp())
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        _ = try client.next("question")
        try client.send(json: ["type": "session.end", "id": "bye"])
        #expect(try client.next("session.ended")["reason"] as? String == "client_ended")
        #expect(try client.drainUntilClosed().code == 1000)
    }

    /// About the grace period: 1 s instead of the production 60 s, so the session ends while the test waits.
    @Test func aClientThatVanishesLeavesItsSessionStoredWhenItsGraceEnds() throws {
        let engine = try TestEngine { $0.resumeGraceSeconds = 1 }
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        _ = try client.next("question")
        try client.send(json: ["type": "answer.text", "text": "At my last job I was halfway through"])
        _ = try client.next("feedback.live")
        client.shutdown()  // gone, without session.end

        let stored = try engine.waitForSession(sessionID, token: token) {
            ($0["session"] as? [String: Any])?["end_reason"] as? String == "disconnected"
        }
        let turn = try #require((stored["turns"] as? [[String: Any]])?.first)
        #expect(turn["answer_text"] as? String == "At my last job I was halfway through")
        #expect(turn["answer_complete"] as? Bool == false)
        let billed = (stored["session"] as? [String: Any])?["billed_ms"] as? Int ?? 0
        #expect(billed > 0)
        let balance = try engine.http.send("GET", "v1/me", token: token).json["balance_ms"] as? Int
        #expect(balance == 600_000 - billed)
    }
}
