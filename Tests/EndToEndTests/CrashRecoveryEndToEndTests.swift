import EngineClient
import Foundation
import Store
import Testing

/// The engine is killed with SIGKILL in the middle of an interview and started again on the same data.
@Suite struct CrashRecoveryEndToEndTests {
    func serve(data: URL) throws -> (Process, Int) {
        try CommandLineEndToEndTests.startServer(data: data)
    }

    @Test func aKilledServerLosesAtMostTheUnsettledSecondAndKeepsWhatWasSaid() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: data) }
        let store = try SQLiteStore(path: data.appendingPathComponent("jestry.sqlite").path)
        let account = try store.createAccount(NewAccount(name: "Ada", email: "ada@example.com", passwordHash: "unused",
                                                         birthDate: "1990-01-01"), trialMs: 600_000, at: Date())
        let token = try store.issueToken(accountID: account.id, at: Date(), lifetime: 3_600)

        let (server, port) = try serve(data: data)
        defer {
            if server.isRunning {  // the test failed before the kill
                kill(server.processIdentifier, SIGKILL)
                server.waitUntilExit()
            }
        }
        let client = try WebSocketClient(url: URL(string: "ws://127.0.0.1:\(port)/v1/interview")!,
                                         headers: [("Authorization", "Bearer \(token)")])
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        _ = try client.next("question")
        let answer = "At my last job I moved our billing to a new database and cut the monthly close from 9 days to 2."
        try client.send(json: ["type": "answer.text", "text": answer])
        try client.send(json: ["type": "answer.done"])
        _ = try client.next("question")
        try client.send(json: ["type": "answer.text", "text": "Halfway through my second answer"])
        // Two settlements after the answer: its record was written before them (one ordered writer).
        var lastReported = 600_000
        for _ in 0..<2 {
            lastReported = try #require(try client.next("billing.updated", limit: 100)["balance_ms"] as? Int)
        }
        #expect(lastReported < 600_000)

        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        #expect(server.terminationReason == .uncaughtSignal)

        // The ledger is consistent: the cached balance is the sum of the entries, never negative, and every
        // settlement the client was told about survived (so at most the time since the last one is lost).
        let balance = try store.balance(accountID: account.id)
        let ledger = try store.ledger(accountID: account.id)
        #expect(ledger.map(\.amountMs).reduce(0, +) == balance)
        #expect(balance >= 0)
        #expect(Int(balance) <= lastReported, "a settlement that was reported is never lost")
        let usage = -ledger.filter { $0.kind == .usage && $0.sessionID == sessionID }.map(\.amountMs).reduce(0, +)
        #expect(usage == 600_000 - balance)

        // Started again on the same data: the interrupted session is closed and readable with what was said.
        let (restarted, newPort) = try serve(data: data)
        defer {
            restarted.terminate()
            restarted.waitUntilExit()
        }
        let http = HTTPClient(baseURL: URL(string: "http://127.0.0.1:\(newPort)/")!)
        let stored = try http.send("GET", "v1/sessions/\(sessionID)", token: token).json
        let session = try #require(stored["session"] as? [String: Any])
        #expect(session["end_reason"] as? String == "error")
        #expect(session["billed_ms"] as? Int == Int(usage))
        let turns = try #require(stored["turns"] as? [[String: Any]])
        #expect(turns.count == 2, "both questions asked before the crash are stored")
        #expect(turns.first?["answer_text"] as? String == answer)
        // The answer in progress was stored as it grew: the crash did not lose it.
        #expect(turns.last?["answer_text"] as? String == "Halfway through my second answer")
        #expect(turns.last?["answer_complete"] as? Bool == false)
        #expect(try http.send("GET", "v1/me", token: token).json["balance_ms"] as? Int == Int(balance))
        #expect(try store.balance(accountID: account.id) == balance, "the restart charged nothing")
    }
}
