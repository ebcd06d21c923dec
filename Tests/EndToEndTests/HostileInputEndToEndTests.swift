import Audio
import EngineClient
import Server
import Foundation
import Testing

/// Hostile clients against the real server, each while a normal candidate's interview runs alongside: every probe
/// gets a specific answer, and the normal interview goes on and ends as it should.
@Suite struct HostileInputEndToEndTests {
    /// Runs `probe` against a fresh engine while a normal interview is in progress, then completes that interview.
    func alongsideANormalInterview(configure: (inout ServerConfiguration) -> Void = { _ in },
                                   _ probe: (TestEngine) throws -> Void) throws {
        try alongsideANormalInterview(configure: configure) { engine, _ in try probe(engine) }
    }

    /// The same, for a probe that aims at the normal interview itself.
    func alongsideANormalInterview(configure: (inout ServerConfiguration) -> Void = { _ in },
                                   _ probe: (TestEngine, NormalInterview) throws -> Void) throws {
        let engine = try TestEngine(configure: configure)
        try engine.besideANormalInterview { try probe(engine, $0) }
    }

    static func rawExchange(_ engine: TestEngine, _ request: String) throws -> (head: String, body: String, closed: Bool) {
        let socket = try RawSocket(port: engine.server.port)
        #expect(socket.write(request))
        let (data, closed) = socket.read(idle: 3)
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        return (parts.first ?? "", parts.dropFirst().joined(separator: "\r\n\r\n"), closed)
    }

    // MARK: HTTP

    @Test func everyMethodOnEveryPathGetsAnAnswerAndHEADIsGETWithoutTheBody() throws {
        try alongsideANormalInterview { engine in
            for path in ["v1/health", "v1/nope", "missing.html", "index.html", "v1/sessions/abc/recording", "v1/tracks"] {
                let get = try engine.http.send("GET", path)
                let head = try engine.http.send("HEAD", path)
                #expect(head.status == get.status, "HEAD /\(path)")
                #expect(head.body.isEmpty, "HEAD /\(path) has no body")
                #expect(head.headers["Content-Length"] ?? head.headers["content-length"]
                        == get.headers["Content-Length"] ?? get.headers["content-length"], "HEAD /\(path) announces GET's length")
            }
            let put = try engine.http.send("PUT", "v1/health")
            #expect(put.status == 405)
            #expect(put.errorCode == "method_not_allowed")
            #expect((put.headers["Allow"] ?? put.headers["allow"]) == "GET, HEAD")
            let deleteMe = try engine.http.send("DELETE", "v1/me")
            #expect(deleteMe.status == 405)
            #expect((deleteMe.headers["Allow"] ?? deleteMe.headers["allow"]) == "GET, HEAD, PATCH")
            let postStatic = try engine.http.send("POST", "index.html")
            #expect(postStatic.status == 405)
            #expect((postStatic.headers["Allow"] ?? postStatic.headers["allow"]) == "GET, HEAD")
            let options = try Self.rawExchange(engine, "OPTIONS /v1/sessions/abc/recording HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(options.head.hasPrefix("HTTP/1.1 405"))
            #expect(options.head.lowercased().contains("allow: get, head"))
            // Methods libwebsockets itself does not know, and bytes that are not HTTP at all.
            let brew = try Self.rawExchange(engine, "BREW /v1/me HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(brew.head.hasPrefix("HTTP/1.1 405"))
            #expect(brew.head.lowercased().contains("allow: get, head, patch"))
            #expect(brew.body.contains("method_not_allowed"))
            #expect(brew.closed)
            let garbage = try Self.rawExchange(engine, "\u{16}\u{03}\u{01}\u{02}\u{00} not http\r\n\r\n")
            #expect(garbage.head.hasPrefix("HTTP/1.1 400"))
            #expect(garbage.body.contains("bad_request"))
        }
    }

    @Test func aBodyFramedTwoWaysIsRefusedAndNothingAfterItIsAnswered() throws {
        try alongsideANormalInterview { engine in
            // The classic smuggling shape: Content-Length says the chunk is the body, the chunk says it is empty.
            let smuggled = try Self.rawExchange(engine, "POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(smuggled.head.hasPrefix("HTTP/1.1 400"))
            #expect(smuggled.body.contains("ambiguous_body_length"))
            #expect(!smuggled.body.contains("HTTP/1.1"), "the request hidden in the body is never answered")
            #expect(smuggled.closed)
            let chunked = try Self.rawExchange(engine, "POST /v1/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n")
            #expect(chunked.head.hasPrefix("HTTP/1.1 411"))
            #expect(chunked.body.contains("length_required"))
            let getWithBody = try Self.rawExchange(engine, "GET /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 39\r\n\r\n"
                + "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(getWithBody.head.hasPrefix("HTTP/1.1 400"))
            #expect(!getWithBody.body.contains("HTTP/1.1"))
        }
    }

    /// About the setting: a short deadline so the test does not wait the production 10 s.
    @Test func aBodyTrickledTooSlowlyGets408() throws {
        try alongsideANormalInterview(configure: { $0.requestBodyDeadlineSeconds = 1 }) { engine in
            let socket = try RawSocket(port: engine.server.port)
            #expect(socket.write("POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"))
            let (data, closed) = socket.read(idle: 5)
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 408"))
            #expect(text.contains("request_timeout"))
            #expect(closed)
        }
    }

    @Test func parallelWrongPasswordsGetExactlyTheLimit() throws {
        try alongsideANormalInterview { engine in
            let email = "target-\(UUID().uuidString.prefix(8))@example.com"
            _ = try engine.signUp(email)
            let http = engine.http
            let statuses = NSLock()
            nonisolated(unsafe) var seen: [Int] = []
            DispatchQueue.concurrentPerform(iterations: 16) { _ in
                let status = (try? http.send("POST", "v1/login", body: ["email": email, "password": "wrong guess"]).status) ?? 0
                statuses.withLock { seen.append(status) }
            }
            // The production limit: 10 failures per account. Checked and taken as one step, so never 11.
            #expect(seen.filter { $0 == 401 }.count == 10)
            #expect(seen.filter { $0 == 429 }.count == 6)
        }
    }

    // MARK: The interview WebSocket

    @Test func anEndlessAnswerIsBoundedAndTheServerKeepsServing() throws {
        try alongsideANormalInterview { engine in
            let token = try engine.signUp()
            let client = try engine.connect(token: token)
            defer { client.shutdown() }
            try client.send(json: ["type": "session.start", "track": "behavioural"])
            _ = try client.next("question")
            let chunk = String(repeating: "word ", count: 12_000)  // 60 KB, under the frame limit
            try client.send(json: ["type": "answer.text", "text": chunk, "id": "too-much"])
            let error = try client.next("error")
            #expect(error["code"] as? String == "answer_too_long")
            #expect(error["id"] as? String == "too-much")
            // What fits is kept; the session goes on.
            try client.send(json: ["type": "answer.text", "text": "still answering"])
            #expect(try client.next("feedback.live")["word_count"] as? Int == 2)
        }
    }

    /// 513 `[` crashed the whole engine through Foundation's JSONDecoder, as an HTTP body (no account needed) or as
    /// a message.
    @Test func deeplyNestedJSONIsRefusedAndTheServerKeepsServing() throws {
        try alongsideANormalInterview { engine in
            let bomb = String(repeating: "[", count: 513)
            let signup = try engine.http.send("POST", "v1/accounts", body: Data(bomb.utf8))
            #expect(signup.status == 400)
            #expect((signup.json["error"] as? [String: Any])?["code"] as? String == "invalid_json")
            let token = try engine.signUp()
            let client = try engine.connect(token: token)
            defer { client.shutdown() }
            client.send(text: #"{"type":"# + bomb)
            let error = try client.next("error")
            #expect(error["code"] as? String == "invalid_json")
            #expect(error["fatal"] as? Bool == false)
            try client.send(json: ["type": "session.start", "track": "behavioural"])
            _ = try client.next("question")
        }
    }

    @Test func aMessageFloodIsCutToTheConnectionsBudget() throws {
        try alongsideANormalInterview { engine in
            let token = try engine.signUp()
            let client = try engine.connect(token: token)
            defer { client.shutdown() }
            // 200 bad messages at once: each would earn an error; the budget answers 60, then one rate_limited.
            for index in 0..<200 { client.send(text: #"{"type":"answer.done","id":"\#(index)"}"#) }
            var codes: [String] = []
            while codes.last != "rate_limited" {
                codes.append(try client.next("error")["code"] as? String ?? "?")
            }
            // The burst of 60 is answered in full (a few more may have refilled meanwhile); the rest are dropped.
            #expect(codes.count > 60 && codes.count < 200)
            #expect(codes.dropLast().allSatisfy { $0 == "wrong_state" })
        }
    }

    @Test func audioFasterThanRealTimeIsDroppedNotRecorded() throws {
        try alongsideANormalInterview { engine in
            let token = try engine.signUp()
            let client = try engine.connect(token: token)
            defer { client.shutdown() }
            try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "voice", "record": true])
            let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
            _ = try client.next("question")
            let started = Date()
            // 20 s of audio in one burst, in 100 ms frames.
            for _ in 0..<200 { client.send(binary: Data(count: 3_200)) }
            #expect(try client.next("error")["code"] as? String == "audio_rate_mismatch")
            try client.send(json: ["type": "session.end"])
            _ = try client.next("session.ended")
            let elapsed = Date().timeIntervalSince(started)
            let file = engine.dataDirectory.appendingPathComponent("recordings/\(sessionID).wav")
            let recorded = try engine.eventuallyFileSize(file) { $0 > 44 }
            // At most the wall time plus the 2 s of jitter the engine allows, at 32,000 bytes a second.
            #expect(recorded - 44 <= Int((elapsed + 2) * 32_000) + 3_200)
            #expect(recorded - 44 < 20 * 32_000)
        }
    }

    @Test func invalidCloseCodesAreAnsweredWith1002() throws {
        try alongsideANormalInterview { engine in
            let token = try engine.signUp()
            for (sent, expected) in [(UInt16(5000), UInt16(1002)), (65535, 1002), (1000, 1000), (4000, 4000)] {
                let socket = try RawSocket(port: engine.server.port)
                #expect(try socket.upgrade(port: engine.server.port, token: token).hasPrefix("HTTP/1.1 101"))
                #expect(socket.write(WebSocketFrame.close(code: sent)))
                let frames = WebSocketFrame.decode(socket.read(idle: 3).data)
                let close = frames.first { $0.opcode == WebSocketFrame.close }
                #expect(close.flatMap { WebSocketFrame.closeCode($0.payload) } == expected, "close \(sent)")
            }
        }
    }

    @Test func anUnmaskedClientFrameClosesTheConnectionWith1002AndIsNotRead() throws {
        try alongsideANormalInterview { engine in
            let token = try engine.signUp()
            let socket = try RawSocket(port: engine.server.port)
            #expect(try socket.upgrade(port: engine.server.port, token: token).hasPrefix("HTTP/1.1 101"))
            // In one write: a masked session.start, which is answered, then an unmasked one, which must not be.
            let start = #"{"type":"session.start","track":"behavioural"}"#
            #expect(socket.write(WebSocketFrame.text(start) + WebSocketFrame.text(start, masked: false)))
            let frames = WebSocketFrame.decode(socket.read(idle: 3).data)
            let texts = frames.filter { $0.opcode == WebSocketFrame.text }.map { String(decoding: $0.payload, as: UTF8.self) }
            #expect(texts.filter { $0.contains(#""type":"session.started""#) }.count == 1, "\(texts)")
            #expect(!texts.contains { $0.contains(#""type":"error""#) }, "the unmasked session.start reached the machine: \(texts)")
            let close = frames.first { $0.opcode == WebSocketFrame.close }
            #expect(close.flatMap { WebSocketFrame.closeCode($0.payload) } == 1002)
        }
    }

    @Test func anUnmaskedFrameSentWithTheUpgradeRequestIsNotReadEither() throws {
        // RFC 6455 §4.1 has the client wait for the 101; this one sends its first frame in the same packet.
        try alongsideANormalInterview { engine in
            let token = try engine.signUp()
            let socket = try RawSocket(port: engine.server.port)
            let start = #"{"type":"session.start","track":"behavioural"}"#
            #expect(socket.write(Data(RawSocket.upgradeRequest(port: engine.server.port, token: token).utf8)
                                 + WebSocketFrame.text(start, masked: false)))
            let reply = socket.read(idle: 3).data
            #expect(String(decoding: reply.prefix(12), as: UTF8.self) == "HTTP/1.1 101")
            let head = try #require(reply.range(of: Data("\r\n\r\n".utf8)))
            let frames = WebSocketFrame.decode(reply[head.upperBound...])
            #expect(frames.map(\.opcode) == [WebSocketFrame.close], "the unmasked session.start was answered")
            #expect(frames.first.flatMap { WebSocketFrame.closeCode($0.payload) } == 1002)
        }
    }

    @Test func aClientThatNeverReadsIsClosedAndItsSessionWaitsForResume() throws {
        // About the queue's bound: small, and no message budget, so the test fills it in a moment.
        try alongsideANormalInterview(configure: {
            $0.maxQueuedOutputBytes = 16 * 1024
            $0.messageLimit = .unlimited
            $0.resumeGraceSeconds = 60
        }) { engine in
            let token = try engine.signUp()
            let socket = try RawSocket(port: engine.server.port, receiveBuffer: 4_096)
            #expect(try socket.upgrade(port: engine.server.port, token: token).hasPrefix("HTTP/1.1 101"))
            #expect(socket.write(WebSocketFrame.text(#"{"type":"session.start","track":"behavioural"}"#)))
            // Every one of these earns an error reply the client never reads.
            let flood = WebSocketFrame.text(#"{"type":"transcript.final","question_id":"q9","text":"x"}"#)
            var stillOpen = true
            for _ in 0..<400 where stillOpen {
                stillOpen = socket.write(Data((0..<500).map { _ in flood }.joined()))
            }
            #expect(!stillOpen, "the server closed the connection of the client that does not read")
            // The session's row is written off the service thread: wait for it rather than read once.
            let session = try #require(try eventually("the session is stored") {
                try (engine.http.send("GET", "v1/sessions", token: token).json["sessions"] as? [[String: Any]])?.first
            })
            #expect(session["end_reason"] == nil || session["end_reason"] is NSNull, "parked for resume, not ended")
        }
    }

    @Test func connectionsAndLiveSessionsPerAccountAreCapped() throws {
        try alongsideANormalInterview { engine in
            let token = try engine.signUp()
            var open: [WebSocketClient] = []
            defer { open.forEach { $0.shutdown() } }
            for index in 0..<6 {
                let client = try engine.connect(token: token)
                open.append(client)
                if index < 3 {
                    try client.send(json: ["type": "session.start", "track": "behavioural"])
                    _ = try client.next("question")
                }
            }
            // The fourth live session of the account is refused; its connection stays usable.
            try open[3].send(json: ["type": "session.start", "track": "behavioural", "id": "fourth"])
            let refused = try open[3].next("error")
            #expect(refused["code"] as? String == "too_many_sessions")
            #expect(refused["id"] as? String == "fourth")
            // The seventh connection of the account is refused before the upgrade, with a JSON reason.
            let response = try RawHTTP.upgrade(port: engine.server.port, headers: ["Authorization: Bearer \(token)"])
            #expect(RawHTTP.status(response) == 429)
            #expect(response.contains("too_many_connections"))
        }
    }

    /// About the setting: a short start timeout so the test does not wait the production 15 s.
    @Test func aConnectionThatStartsNothingIsClosed() throws {
        try alongsideANormalInterview(configure: { $0.sessionStartTimeoutSeconds = 1 }) { engine in
            let client = try engine.connect(token: try engine.signUp())
            defer { client.shutdown() }
            let error = try client.next("error")
            #expect(error["code"] as? String == "session_start_timeout")
            #expect(error["fatal"] as? Bool == true)
            #expect(try client.drainUntilClosed().code == 1008)
        }
    }

    /// About the setting: the token re-check runs every half second instead of every 30 s.
    @Test func aRevokedSignInEndsTheSessionAtOnceNotAfterTheGracePeriod() throws {
        let engine = try TestEngine(configure: {
            $0.tokenRecheckInterval = 0.5
            $0.resumeGraceSeconds = 60
        })
        let email = "revoked-\(UUID().uuidString.prefix(8))@example.com"
        let token = try engine.signUp(email)
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        _ = try client.next("question")
        try client.send(json: ["type": "answer.text", "text": "I was halfway through"])
        let other = try #require(try engine.http.login(email: email, password: "a long test password"))
        #expect(try engine.http.send("POST", "v1/logout/all", token: other).status == 200)
        #expect(try client.drainUntilClosed().code == 1008)
        // Read with a fresh sign-in: the session ended as disconnected with the answer kept, well inside the grace.
        let reader = try #require(try engine.http.login(email: email, password: "a long test password"))
        let stored = try engine.waitForSession(sessionID, token: reader) { ($0["session"] as? [String: Any])?["end_reason"] is String }
        #expect((stored["session"] as? [String: Any])?["end_reason"] as? String == "disconnected")
        #expect((stored["turns"] as? [[String: Any]])?.first?["answer_text"] as? String == "I was halfway through")
    }

    @Test func aRecordingACrashLeftUnfinishedIsRepairedAtStart() throws {
        let samples = Data((0..<16_000).map { UInt8(truncatingIfNeeded: $0) })
        let engine = try TestEngine(prepareData: { data in
            let folder = data.appendingPathComponent("recordings")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try (WAVFile.header(sampleRate: 16_000, dataByteCount: 0) + samples).write(to: folder.appendingPathComponent("crashed.wav"))
        })
        let file = try Data(contentsOf: engine.dataDirectory.appendingPathComponent("recordings/crashed.wav"))
        #expect(file.prefix(44) == WAVFile.header(sampleRate: 16_000, dataByteCount: samples.count))
        #expect(try WAVFile(parsing: file).pcm16 == samples)
    }

    @Test func theAnswerInProgressIsStoredAsItGrows() throws {
        try alongsideANormalInterview { engine in
            let token = try engine.signUp()
            let client = try engine.connect(token: token)
            defer { client.shutdown() }
            try client.send(json: ["type": "session.start", "track": "behavioural"])
            let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
            _ = try client.next("question")
            try client.send(json: ["type": "answer.text", "text": "Not finished yet"])
            let stored = try engine.waitForSession(sessionID, token: token) {
                (($0["turns"] as? [[String: Any]])?.first?["answer_text"] as? String) == "Not finished yet"
            }
            #expect((stored["turns"] as? [[String: Any]])?.first?["answer_complete"] as? Bool == false)
        }
    }
}

extension TestEngine {
    /// Waits (bounded) until `file` exists with a size that satisfies `condition`; the recorder writes off the
    /// service thread.
    func eventuallyFileSize(_ file: URL, _ condition: @escaping (Int) -> Bool) throws -> Int {
        eventually("\(file.lastPathComponent) reaches the expected size") {
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? nil
            return size.flatMap { condition($0) ? $0 : nil }
        } ?? 0
    }
}
