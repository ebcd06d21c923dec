import EngineClient
import Foundation
import Store
import Testing
import TestSupport

/// SIGTERM to a real `jestry serve` process: it drains, lets the live interview finish its time, settles it, and
/// exits cleanly; a second SIGTERM ends it at once.
@Suite struct DrainEndToEndTests {
    struct Node {
        var process: Process
        var port: Int
        var store: SQLiteStore
        var accountID: String
        var token: String
        var http: HTTPClient { HTTPClient(baseURL: URL(string: "http://127.0.0.1:\(port)/")!) }
    }

    static func start(drainSeconds: Int, data: URL) throws -> Node {
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: data.appendingPathComponent("jestry.sqlite").path)
        let account = try store.createAccount(NewAccount(name: "Ada", email: "ada@example.com", passwordHash: "unused",
                                                         birthDate: "1990-01-01"), trialMs: 600_000, at: Date())
        let token = try store.issueToken(accountID: account.id, at: Date(), lifetime: 3_600)
        let (process, port) = try CommandLineEndToEndTests.startServer(data: data, environment: ["JESTRY_DRAIN_SECONDS": "\(drainSeconds)"])
        return Node(process: process, port: port, store: store, accountID: account.id, token: token)
    }

    static func interview(on node: Node) throws -> (WebSocketClient, String) {
        let client = try WebSocketClient(url: URL(string: "ws://127.0.0.1:\(node.port)/v1/interview")!,
                                         headers: [("Authorization", "Bearer \(node.token)")])
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        _ = try client.next("question")
        return (client, sessionID)
    }

    @Test func sigtermDrainsTheNodeAndTheInterviewEndsAsServerRestarting() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-drain-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let node = try Self.start(drainSeconds: 3, data: data)
        defer { if node.process.isRunning { kill(node.process.processIdentifier, SIGKILL); node.process.waitUntilExit() } }
        let (client, sessionID) = try Self.interview(on: node)
        defer { client.shutdown() }
        try client.send(json: ["type": "answer.text", "text": "Halfway through my first answer"])

        kill(node.process.processIdentifier, SIGTERM)
        let notReady = try #require(eventually("the node reports it is draining") {
            let response = try node.http.send("GET", "v1/ready")
            return response.status == 503 ? response : nil
        })
        #expect(notReady.json["draining"] as? Bool == true)
        do {
            _ = try WebSocketClient(url: URL(string: "ws://127.0.0.1:\(node.port)/v1/interview")!,
                                    headers: [("Authorization", "Bearer \(node.token)")])
            Issue.record("a draining node must not take a new interview")
        } catch let WebSocketClient.ClientError.refused(status, _) {
            #expect(status == 503)
        }
        // The same refusal as an HTTP client sees it: 503 with a JSON body telling it to connect again.
        let refused = try node.http.send("GET", "v1/interview", token: node.token, headers: [
            "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        ])
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] == "1")
        #expect((refused.json["error"] as? [String: Any])?["code"] as? String == "server_draining")

        let ended = try client.next("session.ended", limit: 200)
        #expect(ended["reason"] as? String == "server_restarting")
        let used = try #require((ended["summary"] as? [String: Any])?["used_ms"] as? Int)
        #expect(try client.drainUntilClosed().code == 1000)
        #expect(eventually("the drained node exits") { node.process.isRunning ? nil : true } == true)
        #expect(node.process.terminationReason == .exit)
        #expect(node.process.terminationStatus == 0)

        // Settled before the exit: the session's usage is in the ledger, and the ledger adds up.
        let stored = try #require(try node.store.session(id: sessionID, accountID: node.accountID))
        #expect(stored.session.endReason == "server_restarting")
        #expect(stored.turns.first?.answerText == "Halfway through my first answer")
        let ledger = try node.store.ledger(accountID: node.accountID)
        let usage = -ledger.filter { $0.kind == .usage && $0.sessionID == sessionID }.map(\.amountMs).reduce(0, +)
        #expect(usage == stored.session.billedMs)
        #expect(Int(usage) == used, "the candidate was charged what the session reported")
        #expect(try node.store.balance(accountID: node.accountID) == 600_000 - usage)
    }

    @Test func aSecondSigtermStopsAtOnce() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-drain-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let node = try Self.start(drainSeconds: 600, data: data)
        defer { if node.process.isRunning { kill(node.process.processIdentifier, SIGKILL); node.process.waitUntilExit() } }
        let (client, sessionID) = try Self.interview(on: node)
        defer { client.shutdown() }

        kill(node.process.processIdentifier, SIGTERM)
        _ = eventually("the node reports it is draining") { try? node.http.send("GET", "v1/ready").status == 503 ? true : nil }
        kill(node.process.processIdentifier, SIGTERM)
        #expect(eventually("the node exits long before its 600 s drain") { node.process.isRunning ? nil : true } == true)
        #expect(node.process.terminationStatus == 0)
        let seen = try client.drainUntilClosed()
        #expect(!seen.types.contains("session.ended"), "stopped at once: no goodbye")
        let stored = try #require(try node.store.session(id: sessionID, accountID: node.accountID))
        #expect(stored.session.endReason == "disconnected")
    }

    /// A service manager (or a test) may signal the moment it reads "Jestry listening": the handler is in place by
    /// then, so the node stops cleanly instead of dying of the signal or, worse, never hearing it.
    @Test func aSigtermTheMomentTheNodeSaysItListensStopsItCleanly() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-sigterm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        for attempt in 1...5 {
            let (process, _) = try CommandLineEndToEndTests.startServer(data: data)
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
            process.terminate()
            #expect(eventually("the node to stop (attempt \(attempt))") { process.isRunning ? nil : true } == true)
            #expect(process.terminationReason == .exit && process.terminationStatus == 0, "attempt \(attempt)")
        }
    }
}

/// `--log-format json`: every line on standard error is one JSON object, and the lines about a session carry its
/// `session.id` and `account.id`.
@Suite struct JSONLogEndToEndTests {
    @Test func everyLineIsJSONAndSessionLinesNameTheSessionAndAccount() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-log-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: data.appendingPathComponent("jestry.sqlite").path)
        let account = try store.createAccount(NewAccount(name: "Ada", email: "ada@example.com", passwordHash: "unused",
                                                         birthDate: "1990-01-01"), trialMs: 600_000, at: Date())
        let token = try store.issueToken(accountID: account.id, at: Date(), lifetime: 3_600)
        let errors = Pipe()
        let (server, port) = try CommandLineEndToEndTests.startServer(data: data, arguments: ["--log-format", "json"],
                                                                      standardError: errors)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() } }
        let client = try WebSocketClient(url: URL(string: "ws://127.0.0.1:\(port)/v1/interview")!,
                                         headers: [("Authorization", "Bearer \(token)")])
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        try client.send(json: ["type": "session.end"])
        _ = try client.next("session.ended", limit: 100)
        _ = try client.drainUntilClosed()
        server.interrupt()  // SIGINT: stop at once
        server.waitUntilExit()

        let output = String(decoding: PipeReading.toEnd(errors.fileHandleForReading), as: UTF8.self)
        let lines = output.split(separator: "\n")
        #expect(!lines.isEmpty)
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == lines.count, "every line is a JSON object:\n\(output)")
        #expect(objects.allSatisfy { $0["time"] is String && $0["level"] is String && $0["message"] is String })
        let sessionLines = objects.filter { ($0["message"] as? String)?.hasPrefix("session ") == true }
        #expect(sessionLines.map { $0["message"] as? String } == ["session started", "session ended"])
        #expect(sessionLines.allSatisfy { $0["session.id"] as? String == sessionID && $0["account.id"] as? String == account.id })
    }
}
