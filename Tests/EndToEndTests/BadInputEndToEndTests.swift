import EngineClient
import Foundation
import Testing

/// Each kind of bad input gets a specific answer, and the server keeps serving everyone else.
@Suite struct BadInputEndToEndTests {
    /// Opens a second connection that runs a normal start, to show the server is unaffected.
    func expectStillServing(_ engine: TestEngine, token: String) throws {
        let other = try engine.connect(token: token)
        defer { other.shutdown() }
        try other.send(json: ["type": "session.start", "track": "behavioural"])
        #expect(try other.next("question")["question_id"] as? String == "q1")
        #expect(try engine.http.send("GET", "v1/health").status == 200)
    }

    func errorCode(after frames: [String], engine: TestEngine, token: String) throws -> (code: String?, id: String?) {
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        frames.forEach { client.send(text: $0) }
        let error = try client.next("error")
        return (error["code"] as? String, error["id"] as? String)
    }

    @Test func malformedAndUnexpectedMessagesGetSpecificErrors() throws {
        let engine = try TestEngine()
        let token = try engine.signUp()
        #expect(try errorCode(after: ["{this is not json"], engine: engine, token: token).code == "invalid_json")
        #expect(try errorCode(after: [#"{"type":"answer.shout","id":"u1"}"#], engine: engine, token: token) == ("unknown_type", "u1"))
        #expect(try errorCode(after: [#"{"type":"answer.done","id":"early"}"#], engine: engine, token: token) == ("wrong_state", "early"))
        #expect(try errorCode(after: [#"{"type":"session.start","track":"no-such-track"}"#], engine: engine, token: token).code == "unknown_track")
        #expect(try errorCode(after: [#"{"type":"session.start","track":"behavioural"}"#,
                                      #"{"type":"session.start","track":"behavioural","id":"again"}"#],
                              engine: engine, token: token) == ("session_already_started", "again"))
        try expectStillServing(engine, token: token)
    }

    @Test func audioBeforeStartAndOddAudioAreRefused() throws {
        let engine = try TestEngine()
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        client.send(binary: Data(count: 640))
        #expect(try client.next("error")["code"] as? String == "wrong_state")
        try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "voice"])
        _ = try client.next("question")
        client.send(binary: Data(count: 641))
        #expect(try client.next("error")["code"] as? String == "audio_odd_length")
        // The session goes on after a bad frame.
        try client.send(json: ["type": "answer.text", "text": "still here"])
        #expect(try client.next("feedback.live")["word_count"] as? Int == 2)
    }

    @Test func anOversizedTextFrameClosesWith1009() throws {
        let engine = try TestEngine()
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        client.send(text: #"{"type":"answer.text","text":""# + String(repeating: "a", count: 70_000) + #""}"#)
        #expect(try client.drainUntilClosed().code == 1009)
        try expectStillServing(engine, token: token)
    }

    @Test func invalidUTF8ClosesWith1007() throws {
        let engine = try TestEngine()
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        client.send(textBytes: Data([0x7B, 0x22, 0xC3, 0x28, 0xFF, 0x22, 0x7D]))
        #expect(try client.drainUntilClosed().code == 1007)
        try expectStillServing(engine, token: token)
    }

    @Test func theUpgradeNeedsAValidToken() throws {
        let engine = try TestEngine()
        #expect(throws: WebSocketClient.ClientError.self) { try WebSocketClient(url: engine.interviewURL) }
        do {
            _ = try WebSocketClient(url: engine.interviewURL, headers: [("Authorization", "Bearer not-a-real-token")])
            Issue.record("a wrong token must not get a WebSocket")
        } catch let WebSocketClient.ClientError.refused(status, _) {
            #expect(status == 401)
        }
        // The same refusal as seen by a plain HTTP client: 401 with a JSON body, no upgrade.
        let refused = try engine.http.send("GET", "v1/interview", headers: [
            "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        ])
        #expect(refused.status == 401)
        #expect((refused.json["error"] as? [String: Any])?["code"] as? String == "unauthorized")
        // The cookie set at login works as well as the header.
        let token = try engine.signUp()
        let viaCookie = try WebSocketClient(url: engine.interviewURL, headers: [("Cookie", "jestry_session=\(token)")])
        viaCookie.shutdown()
    }
}
