import EngineClient
import Foundation
import Testing

@Suite struct MinutesEndToEndTests {
    @Test func startingWithNoMinutesIsRefused() throws {
        let engine = try TestEngine(trialMinutes: 0)
        let client = try engine.connect(token: try engine.signUp())
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "id": "go", "track": "behavioural"])
        let error = try client.nextJSON()
        #expect(error["type"] as? String == "error")
        #expect(error["code"] as? String == "insufficient_balance")
        #expect(error["id"] as? String == "go")
        #expect(error["fatal"] as? Bool == false)
    }

    @Test func theInterviewStopsWhenTheBalanceRunsOut() throws {
        let engine = try TestEngine(trialMinutes: 0.05)  // 3 seconds
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        var balances: [Int] = []
        var sawWarning = false
        var ended: [String: Any] = [:]
        while ended.isEmpty {
            let message = try client.nextJSON(timeout: 15)
            switch message["type"] as? String {
            case "billing.updated": balances.append(message["balance_ms"] as? Int ?? -1)
            case "billing.warning": sawWarning = true
            case "session.ended": ended = message
            default: break
            }
        }
        #expect(ended["reason"] as? String == "balance_exhausted")
        #expect(balances.first == 3_000)
        #expect(balances.last == 0)
        #expect(balances == balances.sorted(by: >))
        #expect(sawWarning)
        #expect(try client.drainUntilClosed().code == 1000)

        // Exactly what was bought was charged: the balance is zero, never below (the last charge is written just after
        // the end, off the service thread).
        #expect(try eventually("the last charge is written") {
            try engine.http.send("GET", "v1/me", token: token).json["balance_ms"] as? Int == 0 ? true : nil
        } == true)
        let stored = try engine.waitForSession(sessionID, token: token) {
            ($0["session"] as? [String: Any])?["end_reason"] as? String == "balance_exhausted"
        }
        #expect((stored["session"] as? [String: Any])?["billed_ms"] as? Int == 3_000)
    }
}
