import EngineClient
import Foundation
import Server
import Testing

/// Session videos over real sockets: chunks repeated, out of order, missing, oversized, from another account and
/// after the end; the stored file is exactly the chunks that were accepted, in order; range requests for playback.
@Suite struct VideoEndToEndTests {
    /// A chunk as MediaRecorder makes them: the first starts with the EBML header, the others are cluster data.
    static func chunk(_ number: Int, bytes: Int = 2_000) -> Data {
        var data = number == 0 ? Data([0x1A, 0x45, 0xDF, 0xA3]) : Data()
        data.append(contentsOf: (0..<(bytes - data.count)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ number &* 7) })
        return data
    }

    func code(_ response: HTTPClient.Response) -> String? { (response.json["error"] as? [String: Any])?["code"] as? String }
    func message(_ response: HTTPClient.Response) -> String { (response.json["error"] as? [String: Any])?["message"] as? String ?? "" }

    /// A live text interview on its own connection; returns the client and the session id.
    func liveSession(_ engine: TestEngine, token: String) throws -> (WebSocketClient, String) {
        let client = try engine.connect(token: token)
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        _ = try client.next("question")
        return (client, sessionID)
    }

    func end(_ client: WebSocketClient, _ engine: TestEngine, _ sessionID: String, token: String) throws {
        try client.send(json: ["type": "session.end"])
        _ = try client.next("session.ended")
        client.shutdown()
        _ = try engine.waitForSession(sessionID, token: token) { ($0["session"] as? [String: Any])?["end_reason"] != nil }
    }

    func begin(_ engine: TestEngine, _ sessionID: String, token: String) throws -> HTTPClient.Response {
        try engine.http.send("POST", "v1/sessions/\(sessionID)/video", body: ["mime_type": "video/webm;codecs=vp8,opus", "recording_ms": 0],
                             token: token)
    }

    func put(_ engine: TestEngine, _ sessionID: String, _ number: Int, _ bytes: Data, token: String) throws -> HTTPClient.Response {
        try engine.http.send("PUT", "v1/sessions/\(sessionID)/video/chunks/\(number)", body: bytes, token: token,
                             headers: ["Content-Type": "video/webm"])
    }

    func videoFile(_ engine: TestEngine, _ sessionID: String) throws -> URL {
        try #require(VideoRecordingFiles.file(forSession: sessionID, dataDirectory: engine.dataDirectory))
    }

    @Test func repeatedOutOfOrderAndMissingChunksLeaveExactlyTheAcceptedOnesInOrder() throws {
        let engine = try TestEngine()
        let token = try engine.signUp()
        let (client, sessionID) = try liveSession(engine, token: token)

        let begun = try begin(engine, sessionID, token: token)
        #expect(begun.status == 201)
        let startedAt = try #require((begun.json["video"] as? [String: Any])?["started_at"] as? String)
        let again = try begin(engine, sessionID, token: token)
        #expect(again.status == 200 && (again.json["video"] as? [String: Any])?["started_at"] as? String == startedAt,
                "a repeated start (after a reconnect) keeps the first start")

        let chunks = (0..<23).map { Self.chunk($0, bytes: 1_000 + $0 * 10) }
        #expect(try put(engine, sessionID, 0, chunks[0], token: token).json["status"] as? String == "appended")
        let repeated = try put(engine, sessionID, 0, chunks[0], token: token)
        #expect(repeated.status == 200 && repeated.json["status"] as? String == "duplicate")
        let different = try put(engine, sessionID, 0, Self.chunk(0, bytes: 999), token: token)
        #expect(different.status == 409 && code(different) == "chunk_conflict")

        // 2 and 3 arrive before 1: they wait, then all three are appended in order.
        #expect(try put(engine, sessionID, 2, chunks[2], token: token).json["status"] as? String == "held")
        let held = try put(engine, sessionID, 3, chunks[3], token: token)
        #expect(held.json["status"] as? String == "held" && (held.json["video"] as? [String: Any])?["held"] as? [Int] == [2, 3])
        #expect(try put(engine, sessionID, 2, chunks[2], token: token).json["status"] as? String == "duplicate")
        let filled = try put(engine, sessionID, 1, chunks[1], token: token)
        #expect(filled.json["status"] as? String == "appended")
        #expect((filled.json["video"] as? [String: Any])?["next_chunk"] as? Int == 4)
        #expect((filled.json["video"] as? [String: Any])?["held"] as? [Int] == [])

        // 4 never comes: once a chunk 17 ahead of it arrives, 4 is recorded as a gap.
        #expect(try put(engine, sessionID, 5, chunks[5], token: token).json["status"] as? String == "held")
        let far = try put(engine, sessionID, 22, chunks[22], token: token)
        #expect(far.json["status"] as? String == "held")
        #expect((far.json["video"] as? [String: Any])?["gaps"] as? [Int] == [4])
        #expect((far.json["video"] as? [String: Any])?["next_chunk"] as? Int == 6)
        let late = try put(engine, sessionID, 4, chunks[4], token: token)
        #expect(late.status == 409 && code(late) == "chunk_skipped")

        // Finishing declares the rest missing and appends what waited.
        let finished = try engine.http.send("POST", "v1/sessions/\(sessionID)/video/finish", body: ["chunks": 23], token: token)
        #expect(finished.status == 200)
        let video = try #require(finished.json["video"] as? [String: Any])
        #expect(video["gaps"] as? [Int] == [4] + Array(6...21))
        #expect(video["next_chunk"] as? Int == 23 && video["finished"] as? Bool == true)
        let afterFinish = try put(engine, sessionID, 23, Self.chunk(23), token: token)
        #expect(afterFinish.status == 409 && code(afterFinish) == "video_finished")

        let expected = [0, 1, 2, 3, 5, 22].reduce(into: Data()) { $0.append(chunks[$1]) }
        #expect(try Data(contentsOf: try videoFile(engine, sessionID)) == expected)
        #expect(video["byte_count"] as? Int == expected.count)
        // An answer, so the next question is asked while the video runs.
        try client.send(json: ["type": "answer.text", "text": "At my last job I cut build times by 40%"])
        try client.send(json: ["type": "answer.done"])
        _ = try client.next("question")
        try end(client, engine, sessionID, token: token)

        // The session's detail links the video with each turn's offsets into it.
        let detail = try engine.http.send("GET", "v1/sessions/\(sessionID)", token: token).json
        #expect((detail["session"] as? [String: Any])?["video_url"] as? String == "/v1/sessions/\(sessionID)/video")
        let stored = try #require(detail["video"] as? [String: Any])
        #expect(stored["byte_count"] as? Int == expected.count)
        let turns = try #require(stored["turns"] as? [[String: Any]])
        #expect(turns.compactMap { $0["question_id"] as? String }
                == (detail["turns"] as? [[String: Any]])?.compactMap { $0["question_id"] as? String })
        #expect(turns.count == 2)
        #expect(turns.first?["question_ms"] as? Int == 0, "asked before the recording started")
        let followUp = try #require(turns.last?["question_ms"] as? Int)
        #expect(followUp > 0 && followUp >= turns.first?["answer_ms"] as? Int ?? 0, "asked after the answer, into the recording")
    }

    @Test func oversizedChunksNonWebMTooManyChunksAndAFullAccountAreEachRefusedClearly() throws {
        let engine = try TestEngine(configure: {
            $0.maxVideoChunkBytes = 64 * 1024
            $0.videoStorageBytesPerAccount = 150_000
            $0.videoChunkLimit = RateLimit(burst: 6, period: 600)
        })
        let token = try engine.signUp()
        let (client, sessionID) = try liveSession(engine, token: token)
        let early = try put(engine, sessionID, 0, Self.chunk(0), token: token)
        #expect(early.status == 409 && code(early) == "video_not_started")
        let badType = try engine.http.send("POST", "v1/sessions/\(sessionID)/video", body: ["mime_type": "video/mp4", "recording_ms": 0], token: token)
        #expect(badType.status == 415 && code(badType) == "not_webm")
        #expect(try begin(engine, sessionID, token: token).status == 201)

        let tooLarge = try put(engine, sessionID, 0, Self.chunk(0, bytes: 64 * 1024 + 1), token: token)
        #expect(tooLarge.status == 413 && code(tooLarge) == "chunk_too_large")
        let notWebM = try put(engine, sessionID, 0, Data(repeating: 7, count: 500), token: token)
        #expect(notWebM.status == 415 && code(notWebM) == "not_webm")
        #expect(try put(engine, sessionID, 0, Self.chunk(0, bytes: 60_000), token: token).status == 200)
        #expect(try put(engine, sessionID, 1, Self.chunk(1, bytes: 60_000), token: token).status == 200)
        let full = try put(engine, sessionID, 2, Self.chunk(2, bytes: 60_000), token: token)
        #expect(full.status == 507 && code(full) == "storage_limit_reached")
        #expect(message(full).contains("Delete old interviews"))
        #expect(try put(engine, sessionID, 2, Self.chunk(2, bytes: 100), token: token).status == 200)
        // Six chunk requests so far (each counts, refused or not); the seventh waits.
        let limited = try put(engine, sessionID, 3, Self.chunk(3, bytes: 100), token: token)
        #expect(limited.status == 429 && code(limited) == "rate_limited" && Int(limited.headers["retry-after"] ?? "") ?? 0 >= 1)
        #expect(try Data(contentsOf: try videoFile(engine, sessionID)).count == 120_100, "refused chunks left nothing behind")
        try end(client, engine, sessionID, token: token)
    }

    @Test func onlyTheOwnerCanUploadOrPlayAndNothingAfterTheSessionIsOver() throws {
        let clock = ShiftedClock()
        let engine = try TestEngine(configure: { $0.clock = { clock.now } })
        let alice = try engine.signUp()
        let bob = try engine.signUp()
        let (client, sessionID) = try liveSession(engine, token: alice)
        #expect(try begin(engine, sessionID, token: bob).status == 404)
        #expect(try begin(engine, sessionID, token: "forged").status == 401)
        #expect(try begin(engine, sessionID, token: alice).status == 201)
        #expect(try put(engine, sessionID, 0, Self.chunk(0), token: bob).status == 404)
        #expect(try put(engine, sessionID, 0, Self.chunk(0), token: alice).status == 200)
        #expect(try engine.http.send("GET", "v1/sessions/\(sessionID)/video", token: bob).status == 404)
        #expect(try engine.http.send("GET", "v1/sessions/\(sessionID)/video", token: bob, headers: ["Range": "bytes=0-9"]).status == 404)
        #expect(try engine.http.send("GET", "v1/sessions/\(sessionID)/video").status == 401)
        #expect(try engine.http.send("POST", "v1/sessions/\(sessionID)/video/finish", body: ["chunks": 1], token: bob).status == 404)
        try end(client, engine, sessionID, token: alice)

        // Within the grace after the end the browser may still send what it had; after it, nothing.
        #expect(try put(engine, sessionID, 1, Self.chunk(1), token: alice).status == 200)
        clock.shift(by: 121)
        let tooLate = try put(engine, sessionID, 2, Self.chunk(2), token: alice)
        #expect(tooLate.status == 409 && code(tooLate) == "session_ended")
        #expect(try Data(contentsOf: try videoFile(engine, sessionID)) == Self.chunk(0) + Self.chunk(1))

        // A video cannot be started for an interview that is over.
        let (other, ended) = try liveSession(engine, token: alice)
        try end(other, engine, ended, token: alice)
        let refused = try begin(engine, ended, token: alice)
        #expect(refused.status == 409 && code(refused) == "session_ended")
    }

    @Test func playbackServesRangesAndOnlyWebM() throws {
        let engine = try TestEngine()
        let token = try engine.signUp()
        let (client, sessionID) = try liveSession(engine, token: token)
        #expect(try begin(engine, sessionID, token: token).status == 201)
        for number in 0..<3 { #expect(try put(engine, sessionID, number, Self.chunk(number, bytes: 50_000), token: token).status == 200) }
        try end(client, engine, sessionID, token: token)
        let file = try Data(contentsOf: try videoFile(engine, sessionID))
        let path = "v1/sessions/\(sessionID)/video"

        let whole = try engine.http.send("GET", path, token: token)
        #expect(whole.status == 200 && whole.body == file)
        #expect(whole.headers["content-type"]?.hasPrefix("video/webm") == true)
        #expect(whole.headers["accept-ranges"] == "bytes")
        let head = try engine.http.send("HEAD", path, token: token)
        #expect(head.status == 200 && head.body.isEmpty && head.headers["content-length"] == "\(file.count)")

        let first = try engine.http.send("GET", path, token: token, headers: ["Range": "bytes=0-99"])
        #expect(first.status == 206 && first.body == file.prefix(100))
        #expect(first.headers["content-range"] == "bytes 0-99/\(file.count)")
        #expect(first.headers["content-type"]?.hasPrefix("video/webm") == true)
        let rest = try engine.http.send("GET", path, token: token, headers: ["Range": "bytes=100000-"])
        #expect(rest.status == 206 && rest.body == file.suffix(from: 100_000))
        let tail = try engine.http.send("GET", path, token: token, headers: ["Range": "bytes=-50"])
        #expect(tail.status == 206 && tail.body == file.suffix(50) && tail.headers["content-range"] == "bytes \(file.count - 50)-\(file.count - 1)/\(file.count)")
        let past = try engine.http.send("GET", path, token: token, headers: ["Range": "bytes=\(file.count)-"])
        #expect(past.status == 416 && past.headers["content-range"] == "bytes */\(file.count)" && code(past) == "range_not_satisfiable")
        let several = try engine.http.send("GET", path, token: token, headers: ["Range": "bytes=0-1,5-6"])
        #expect(several.status == 200 && several.body == file, "several ranges are ignored: the whole file")

        // A file that is not WebM is never served, whoever put it there.
        try Data("RIFF....WAVE".utf8).write(to: try videoFile(engine, sessionID))
        #expect(try engine.http.send("GET", path, token: token).status == 404)
        #expect(try engine.http.send("GET", path, token: token, headers: ["Range": "bytes=0-3"]).status == 404)
    }

    @Test func deletingTheSessionOrTheAccountDeletesTheVideoAndExportLinksIt() throws {
        let engine = try TestEngine()
        let (token, _) = try engine.signUpWithID()
        var sessions: [String] = []
        for _ in 0..<2 {
            let (client, sessionID) = try liveSession(engine, token: token)
            #expect(try begin(engine, sessionID, token: token).status == 201)
            #expect(try put(engine, sessionID, 0, Self.chunk(0), token: token).status == 200)
            #expect(try put(engine, sessionID, 2, Self.chunk(2), token: token).json["status"] as? String == "held")
            try end(client, engine, sessionID, token: token)
            sessions.append(sessionID)
        }
        let export = try engine.http.send("GET", "v1/export", token: token).json
        let exported = try #require(export["sessions"] as? [[String: Any]])
        #expect(Set(exported.compactMap { ($0["video"] as? [String: Any])?["url"] as? String })
                == Set(sessions.map { "/v1/sessions/\($0)/video" }))

        let held = try videoFile(engine, sessions[0]).path + "-held"
        #expect(FileManager.default.fileExists(atPath: held))
        #expect(try engine.http.send("DELETE", "v1/sessions/\(sessions[0])", token: token).status == 200)
        #expect(!FileManager.default.fileExists(atPath: try videoFile(engine, sessions[0]).path))
        #expect(!FileManager.default.fileExists(atPath: held))
        #expect(FileManager.default.fileExists(atPath: try videoFile(engine, sessions[1]).path))
        // A chunk still on its way finds nothing to write to, and writes nothing.
        #expect(try put(engine, sessions[0], 1, Self.chunk(1), token: token).status == 404)
        #expect(!FileManager.default.fileExists(atPath: try videoFile(engine, sessions[0]).path))
        #expect(!FileManager.default.fileExists(atPath: held))

        let deleted = try engine.http.send("DELETE", "v1/account", body: ["password": "a long test password"], token: token)
        #expect(deleted.status == 200)
        #expect(!FileManager.default.fileExists(atPath: try videoFile(engine, sessions[1]).path))
    }
}

/// The wall clock plus an offset the test moves forward (never a sleep).
final class ShiftedClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: TimeInterval = 0

    var now: Date { lock.withLock { Date().addingTimeInterval(offset) } }

    func shift(by seconds: TimeInterval) {
        lock.withLock { offset += seconds }
    }
}
