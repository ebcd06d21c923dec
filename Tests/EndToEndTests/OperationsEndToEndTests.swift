import EngineClient
import Foundation
import Server
import Store
import Testing

/// What an operator sees and does: `/metrics` after real traffic, `/v1/ready`, and a drain.
@Suite struct OperationsEndToEndTests {
    static let metricsToken = "a-metrics-token-for-the-tests-0123456789"

    @Test func metricsNeedTheTokenAndCountRealTraffic() throws {
        let engine = try TestEngine(configure: { $0.metricsToken = Self.metricsToken })
        let refused = try engine.http.send("GET", "metrics")
        #expect(refused.status == 401)
        #expect(refused.headers["www-authenticate"] == "Bearer realm=\"metrics\"")
        #expect(try engine.http.send("GET", "metrics", token: "a-metrics-token-for-the-tests-0123456788").status == 401)

        let before = try Self.scrape(engine.http)
        #expect(before["jestry_live_sessions{mode=\"text\"}"] == 0)
        #expect(before["jestry_interview_connections"] == 0)
        #expect(before["jestry_turn_latency_seconds_count"] == 0)
        #expect(before["jestry_errors_total{code=\"unknown_type\"}"] == 0)
        #expect(before["jestry_queue_depth{queue=\"store_writer\"}"] != nil)

        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        _ = try client.next("question")
        try client.send(json: ["type": "answer.txt", "text": "a typo in the type"])
        #expect(try client.next("error")["code"] as? String == "unknown_type")
        try client.send(json: ["type": "answer.text", "text": "I moved our billing to a new database and cut the close from 9 days to 2."])
        try client.send(json: ["type": "answer.done"])
        _ = try client.next("question")
        _ = try client.next("billing.updated", limit: 100)  // a settlement has been written

        let during = try Self.scrape(engine.http)
        #expect(during["jestry_live_sessions{mode=\"text\"}"] == 1)
        #expect(during["jestry_live_sessions{mode=\"voice\"}"] == 0)
        #expect(during["jestry_interview_connections"] == 1)
        #expect(during["jestry_turn_latency_seconds_count"] == 1)
        #expect(during["jestry_errors_total{code=\"unknown_type\"}"] == 1)
        #expect((during["jestry_settlement_latency_seconds_count"] ?? 0) >= 1)
        #expect((during["jestry_settled_seconds_total"] ?? 0) > 0)
        #expect(during["jestry_draining"] == 0)

        try client.send(json: ["type": "session.end"])
        _ = try client.next("session.ended", limit: 100)
        _ = try client.drainUntilClosed()
        let after = try #require(eventually("the closed connection is no longer counted") {
            let metrics = try Self.scrape(engine.http)
            return metrics["jestry_interview_connections"] == 0 ? metrics : nil
        })
        #expect(after["jestry_live_sessions{mode=\"text\"}"] == 0)
        #expect((after["jestry_settled_seconds_total"] ?? 0) >= (during["jestry_settled_seconds_total"] ?? 0))
    }

    @Test func audioFramesInAndDroppedAreCounted() throws {
        let engine = try TestEngine(configure: { $0.metricsToken = Self.metricsToken })
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "voice"])
        _ = try client.next("question")
        // 3 s of audio at once: the first 2 s run ahead of the clock within the tolerance, the rest is dropped.
        for _ in 0..<150 { client.send(binary: Data(count: 640)) }
        let error = try client.next("error", limit: 200)
        #expect(["audio_rate_mismatch", "audio_flood"].contains(error["code"] as? String))
        let metrics = try #require(eventually("all 150 frames are counted") {
            let metrics = try Self.scrape(engine.http)
            return metrics["jestry_audio_frames_received_total"] == 150 ? metrics : nil
        })
        let dropped = metrics["jestry_audio_frames_dropped_total"] ?? 0
        #expect(dropped >= 1 && dropped < 150, "some frames were accepted, the ones ahead of the clock dropped")
        let audioErrors = (metrics["jestry_errors_total{code=\"audio_rate_mismatch\"}"] ?? 0)
            + (metrics["jestry_errors_total{code=\"audio_flood\"}"] ?? 0)
        #expect(audioErrors >= 1)
        #expect(metrics["jestry_live_sessions{mode=\"voice\"}"] == 1)
    }

    @Test func withoutATokenMetricsAreOff() throws {
        let engine = try TestEngine()
        let response = try engine.http.send("GET", "metrics", token: Self.metricsToken)
        #expect(response.status == 404)
        #expect((response.json["error"] as? [String: Any])?["code"] as? String == "metrics_disabled")
    }

    /// A drain in the engine itself: readiness flips, a connection without a session and a new connection are sent
    /// away, and a live interview goes on until the drain time ends it with `server_restarting`.
    @Test func readinessFlipsAndALiveInterviewFinishesDuringADrain() throws {
        let engine = try TestEngine()
        let ready = try engine.http.send("GET", "v1/ready")
        #expect(ready.status == 200)
        #expect(ready.json["ready"] as? Bool == true)
        #expect(ready.json["database"] as? String == "ok")
        #expect(ready.json["draining"] as? Bool == false)

        let token = try engine.signUp()
        let live = try engine.connect(token: token)
        defer { live.shutdown() }
        try live.send(json: ["type": "session.start", "track": "behavioural"])
        let sessionID = try #require(try live.next("session.started")["session_id"] as? String)
        _ = try live.next("question")
        let waiting = try engine.connect(token: token)
        defer { waiting.shutdown() }

        let drained = DispatchSemaphore(value: 0)
        let server = engine.server
        Thread.detachNewThread {
            server.drain(seconds: 4)
            drained.signal()
        }
        let notReady = try #require(eventually("the node reports it is draining") {
            let response = try engine.http.send("GET", "v1/ready")
            return response.status == 503 ? response : nil
        })
        #expect(notReady.json["ready"] as? Bool == false)
        #expect(notReady.json["draining"] as? Bool == true)
        #expect(try engine.http.send("GET", "v1/health").status == 200, "alive, only not ready")

        let error = try waiting.next("error")
        #expect(error["code"] as? String == "server_draining")
        #expect(error["fatal"] as? Bool == true)
        let closed = try waiting.drainUntilClosed()
        #expect(closed.code == 1001, "\(closed)")
        do {
            _ = try engine.connect(token: token)
            Issue.record("a draining node must not take a new interview")
        } catch let WebSocketClient.ClientError.refused(status, _) {
            #expect(status == 503)
        }

        // The live interview is still an interview.
        try live.send(json: ["type": "answer.text", "text": "At my last job I cut the monthly close from 9 days to 2."])
        try live.send(json: ["type": "answer.done"])
        _ = try live.next("answer.scored")
        _ = try live.next("question")
        try live.send(json: ["type": "answer.text", "text": "Halfway through"])
        let ended = try live.next("session.ended", limit: 200)
        #expect(ended["reason"] as? String == "server_restarting")
        #expect(try live.drainUntilClosed().code == 1000)
        #expect(drained.wait(timeout: .now() + 15) == .success, "the drain ends once no interview is live")

        let accountID = try #require(try engine.store.accountID(forToken: token, at: Date()))
        let stored = try #require(try engine.store.session(id: sessionID, accountID: accountID))
        #expect(stored.session.endReason == "server_restarting")
        #expect(stored.turns.last?.answerText == "Halfway through")
        let ledger = try engine.store.ledger(accountID: accountID)
        let usage = -ledger.filter { $0.kind == .usage && $0.sessionID == sessionID }.map(\.amountMs).reduce(0, +)
        #expect(usage == stored.session.billedMs)
        #expect(usage > 0)
        #expect(ledger.map(\.amountMs).reduce(0, +) == (try engine.store.balance(accountID: accountID)))
    }

    /// `/metrics` as `name{labels}` → value (comments skipped).
    static func scrape(_ http: HTTPClient) throws -> [String: Double] {
        let response = try http.send("GET", "metrics", token: metricsToken)
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        var values: [String: Double] = [:]
        for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("not a metric line: \(line)")
                continue
            }
            values[String(line[..<space])] = value
        }
        return values
    }
}
