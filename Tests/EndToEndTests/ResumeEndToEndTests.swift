import EngineClient
import Foundation
import Testing

/// A dropped connection does not lose the interview: a new connection takes it back with the resume token.
@Suite struct ResumeEndToEndTests {
    @Test func aDroppedSessionIsResumedWhereItStopped() throws {
        let engine = try TestEngine { $0.resumeGraceSeconds = 30 }
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
        // A wrong token gets nothing; the right one gets the session back with the open question.
        try again.send(json: ["type": "session.resume", "id": "r0", "session_id": sessionID, "resume_token": "forged"])
        let refused = try again.next("error")
        #expect(refused["code"] as? String == "resume_failed")
        #expect(refused["id"] as? String == "r0")
        try again.send(json: ["type": "session.resume", "id": "r1", "session_id": sessionID, "resume_token": resumeToken])
        let resumed = try again.next("session.resumed")
        #expect(resumed["id"] as? String == "r1")
        #expect(resumed["session_id"] as? String == sessionID)
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
        let engine = try TestEngine { $0.resumeGraceSeconds = 30 }
        let owner = try engine.connect(token: try engine.signUp())
        try owner.send(json: ["type": "session.start", "track": "behavioural"])
        let started = try owner.next("session.started")
        owner.shutdown()
        let stranger = try engine.connect(token: try engine.signUp())
        defer { stranger.shutdown() }
        try stranger.send(json: ["type": "session.resume", "session_id": started["session_id"] as? String ?? "",
                                 "resume_token": started["resume_token"] as? String ?? ""])
        #expect(try stranger.next("error")["code"] as? String == "resume_failed")
    }
}
