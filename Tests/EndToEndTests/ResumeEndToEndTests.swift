import EngineClient
import Foundation
import Testing
import TestSupport

/// A dropped connection does not lose the interview: a new connection takes it back with the resume token.
@Suite struct ResumeEndToEndTests {
    @Test func aDroppedSessionIsResumedWhereItStopped() throws {
        let log = RecordedLog()
        let engine = try TestEngine(log: log) { $0.resumeGraceSeconds = 30 }
        let token = try engine.signUp()
        let first = try engine.connect(token: token)
        try first.send(json: ["type": "session.start", "track": "behavioural"])
        let started = try first.next("session.started")
        let sessionID = try #require(started["session_id"] as? String)
        let resumeToken = try #require(started["resume_token"] as? String)
        _ = try first.next("question")
        try first.send(json: ["type": "answer.text", "text": "At my last job I led a migration; as a result errors fell by 40%."])
        try first.send(json: ["type": "answer.done"])
        let second = try first.next("question")
        first.shutdown()  // the connection drops mid-interview

        let again = try engine.connect(token: token)
        defer { again.shutdown() }
        // The right token gets the session back with the open question, and a new token for the next drop.
        let resumed = try #require(try Self.resume(sessionID, token: resumeToken, on: again))
        let nextToken = try #require(resumed["resume_token"] as? String)
        #expect(nextToken != resumeToken && nextToken.hasPrefix(resumeToken.prefix { $0 != "." } + "."))
        // Taken: the same proof cannot take it a second time, and a forged one never could.
        for (id, proof) in [("r-again", resumeToken), ("r-forged", "forged")] {
            let other = try engine.connect(token: token)
            defer { other.shutdown() }
            try other.send(json: ["type": "session.resume", "id": id, "session_id": sessionID, "resume_token": proof])
            let refused = try other.next("error")
            #expect(refused["code"] as? String == "resume_failed")
            #expect(refused["id"] as? String == id)
        }
        // The engine says why: the session is live on `again`, which does not give it up to a spent or forged proof.
        let reasons = log.lines.filter { $0.message == "session resume refused" }.map { $0.metadata["reason"] }
        #expect(reasons == ["takeover-refused", "takeover-refused"])
        #expect(resumed["session_id"] as? String == sessionID)
        #expect(resumed["id"] as? String == "r1")
        let reasked = try again.next("question")
        #expect(reasked["question_id"] as? String == second["question_id"] as? String)
        #expect(reasked["text"] as? String == second["text"] as? String)

        // The interview goes on and ends normally on the new connection.
        try again.send(json: ["type": "session.end"])
        #expect(try again.next("session.ended")["reason"] as? String == "client_ended")
        let stored = try engine.waitForSession(sessionID, token: token) {
            ($0["session"] as? [String: Any])?["end_reason"] as? String == "client_ended"
        }
        #expect((stored["turns"] as? [[String: Any]])?.count == 2)
    }

    @Test func anotherAccountCannotResumeTheSession() throws {
        let log = RecordedLog()
        let engine = try TestEngine(log: log)
        let ownerToken = try engine.signUp()
        let owner = try engine.connect(token: ownerToken)
        try owner.send(json: ["type": "session.start", "track": "behavioural"])
        let started = try owner.next("session.started")
        let sessionID = try #require(started["session_id"] as? String)
        let resumeToken = try #require(started["resume_token"] as? String)
        owner.shutdown()
        // The owner's own probe connection takes it (with a new token for the next time), and drops it again.
        let probe = try engine.connect(token: ownerToken)
        let probed = try #require(try Self.resume(sessionID, token: resumeToken, on: probe))
        let nextToken = try #require(probed["resume_token"] as? String)
        probe.shutdown()
        // A stranger with the stolen id and token is refused, however often the server is asked.
        let stranger = try engine.connect(token: try engine.signUp())
        defer { stranger.shutdown() }
        for attempt in 0..<3 {
            try stranger.send(json: ["type": "session.resume", "id": "s\(attempt)", "session_id": sessionID, "resume_token": resumeToken])
            #expect(try stranger.next("error")["code"] as? String == "resume_failed")
        }
        let reasons = log.lines.filter { $0.message == "session resume refused" }.map { $0.metadata["reason"] }
        #expect(reasons == Array(repeating: "other-account", count: 3), "the engine's log says why each was refused")
        // …and the session was not used up: its owner still takes it back.
        let back = try engine.connect(token: ownerToken)
        defer { back.shutdown() }
        #expect(try Self.resume(sessionID, token: nextToken, on: back)?["session_id"] as? String == sessionID)
    }

    /// The browser reconnects within a few hundred milliseconds; a busy server may not have processed the old
    /// connection's close by then (and a half-open socket never closes). The resume must not be refused for that.
    @Test func aResumeBeforeTheServerNoticesTheDropTakesTheSessionOver() throws {
        let engine = try TestEngine()
        let token = try engine.signUp()
        let first = try engine.connect(token: token)
        defer { first.shutdown() }
        try first.send(json: ["type": "session.start", "track": "behavioural"])
        let started = try first.next("session.started")
        let sessionID = try #require(started["session_id"] as? String)
        let resumeToken = try #require(started["resume_token"] as? String)
        let question = try first.next("question")
        try first.send(json: ["type": "answer.text", "text": "We had six weeks to ship the billing service."])
        _ = try first.next("feedback.live")

        // Still open as far as the engine knows: the new connection's resume takes the session from it.
        let second = try engine.connect(token: token)
        defer { second.shutdown() }
        let resumed = try #require(try Self.resume(sessionID, token: resumeToken, on: second))
        #expect(resumed["session_id"] as? String == sessionID)
        #expect(try second.next("question")["question_id"] as? String == question["question_id"] as? String)
        let closed = try first.drainUntilClosed()
        #expect(closed.code == 4001, "the old connection is told why it closed: \(closed)")

        // The old token is spent: it cannot take the session back from the new connection.
        let third = try engine.connect(token: token)
        defer { third.shutdown() }
        try third.send(json: ["type": "session.resume", "id": "again", "session_id": sessionID, "resume_token": resumeToken])
        #expect(try third.next("error")["code"] as? String == "resume_failed")

        // The answer carries on where it was on the new connection, and is stored whole.
        try second.send(json: ["type": "answer.text", "text": "I wrote the plan."])
        try second.send(json: ["type": "answer.done"])
        _ = try second.next("question")
        try second.send(json: ["type": "session.end"])
        #expect(try second.next("session.ended")["reason"] as? String == "client_ended")
        let stored = try engine.waitForSession(sessionID, token: token) {
            ($0["session"] as? [String: Any])?["end_reason"] as? String == "client_ended"
        }
        let turns = try #require(stored["turns"] as? [[String: Any]])
        #expect(turns.first?["answer_text"] as? String == "We had six weeks to ship the billing service. I wrote the plan.")
    }

    /// Asks for the session back on `client`; returns `session.resumed`, or nil when the engine refused. One attempt:
    /// a resume that arrives before the server has noticed the drop takes the session over, it is never refused.
    static func resume(_ sessionID: String, token: String, on client: WebSocketClient) throws -> [String: Any]? {
        try client.send(json: ["type": "session.resume", "id": "r1", "session_id": sessionID, "resume_token": token])
        let answer = try client.nextJSON()
        return answer["type"] as? String == "session.resumed" ? answer : nil
    }
}
