import EngineClient
import Foundation
import PostgresStore
import Server
import Store
import TestSupport
import Testing

/// Two engine nodes on one PostgreSQL database, as behind a load balancer: the races between them are settled in
/// the database.
@Suite struct FleetEndToEndTests {
    /// Two nodes on a fresh database, stopped (so no connection is left) before the database is dropped.
    final class Fleet {
        let url: String
        let nodes: [TestEngine]

        init(trialMinutes: Double = 10, configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
            let url = try TestPostgres.freshDatabase()
            self.url = url
            nodes = try ["node-a", "node-b"].map { node in
                try TestEngine(trialMinutes: trialMinutes) {
                    $0.databaseURL = url
                    $0.nodeID = node
                    configure(&$0)
                }
            }
        }

        deinit {
            nodes.forEach { $0.engine.stop() }
            TestPostgres.drop(url)
        }
    }

    @Test func twoSessionsOfOneAccountOnTwoNodesSpendExactlyTheBalance() throws {
        let fleet = try Fleet(trialMinutes: 0.05)  // 3 000 ms for both sessions together
        let (a, b) = (fleet.nodes[0], fleet.nodes[1])
        let (token, accountID) = try a.signUpWithID()
        let first = try a.connect(token: token)
        let second = try b.connect(token: token)
        defer {
            first.shutdown()
            second.shutdown()
        }
        let ids = try BalanceRace.run([first, second])
        // Each node saw the other's charges: the balances one session saw are not only its own spending.
        var billed: [String: Int64] = [:]
        for (id, node) in zip(ids, [a, b]) {
            let stored = try node.waitForSession(id, token: token) {
                ($0["session"] as? [String: Any])?["end_reason"] as? String == "balance_exhausted"
            }
            billed[id] = Int64((stored["session"] as? [String: Any])?["billed_ms"] as? Int ?? -1)
        }
        // Every millisecond is accounted for: what the sessions were billed is what the ledger charged, per
        // session and in all, and that is exactly what there was.
        let ledger = try a.store.ledger(accountID: accountID)
        for (id, ms) in billed {
            #expect(ms > 0, "both sessions ran and were charged")
            #expect(-ledger.filter { $0.kind == .usage && $0.sessionID == id }.map(\.amountMs).reduce(0, +) == ms)
        }
        #expect(billed.values.reduce(0, +) == 3_000)
        #expect(-ledger.filter { $0.kind == .usage }.map(\.amountMs).reduce(0, +) == 3_000)
        #expect(ledger.map(\.amountMs).reduce(0, +) == 0)
        #expect(try a.balance(token) == 0)
        #expect(try b.balance(token) == 0)
    }

    @Test func aWebhookDeliveredToBothNodesAtOnceIsAppliedOnce() throws {
        let secret = "whsec_fleet_secret"
        let fleet = try Fleet(trialMinutes: 0) {
            $0.webhookSecrets = [secret]
            $0.products = ["minutes-30": 30]
        }
        let (token, accountID) = try fleet.nodes[0].signUpWithID()
        let senders = fleet.nodes.map { WebhookSender(http: $0.http, secrets: [secret], clock: { Date() }) }
        // Several events, each sent to both nodes at the same moment, so some of the pairs really overlap.
        let events = 10
        for index in 0..<events {
            let body = try JSONSerialization.data(withJSONObject: WebhookSender.purchase("evt_\(index)", account: accountID),
                                                  options: [.sortedKeys])
            let answers = Answers()
            let start = DispatchSemaphore(value: 0)
            let group = DispatchGroup()
            for sender in senders.map(Unchecked.init) {
                DispatchQueue.global().async(group: group) {
                    start.wait()
                    answers.add(try? sender.value.send(body))
                }
            }
            senders.forEach { _ in start.signal() }
            group.wait()
            let responses = answers.all.compactMap { $0 }
            #expect(responses.count == 2)
            #expect(responses.allSatisfy { $0.status == 200 })
            #expect(responses.filter { $0.headers["idempotent-replayed"] == "true" }.count == 1,
                    "one node applied evt_\(index), the other answered with its receipt")
            #expect(Set(responses.map(\.body)).count == 1, "both answers are the first receipt")
        }
        let ledger = try fleet.nodes[1].store.ledger(accountID: accountID)
        #expect(ledger.filter { $0.kind == .purchase }.count == events)
        #expect(Set(ledger.compactMap(\.externalID)).count == events)
        #expect(try fleet.nodes[1].balance(token) == events * 30 * 60_000)
    }

    /// Node A, a real `jestry serve`, is killed with SIGKILL mid-session while node B serves on: A's session loses
    /// at most its unsettled second, B's carries on, and A started again closes only the session it left open.
    @Test func aKilledNodeLosesAtMostTheUnsettledSecondWhileTheOtherServes() throws {
        let url = try TestPostgres.freshDatabase()
        defer { TestPostgres.drop(url) }
        let store = try PostgresStore(url: url, nodeID: "test")
        let account = try store.createAccount(NewAccount(name: "Ada", email: "ada@example.com", passwordHash: "unused",
                                                         birthDate: "1990-01-01"), trialMs: 600_000, at: Date())
        let token = try store.issueToken(accountID: account.id, at: Date(), lifetime: 3_600)
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-fleet-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        func serve(_ node: String) throws -> (Process, Int) {
            try CommandLineEndToEndTests.startServer(data: data.appendingPathComponent(node),
                                                     environment: ["JESTRY_DATABASE": url, "JESTRY_NODE_ID": node])
        }
        let (nodeA, portA) = try serve("node-a")
        let (nodeB, portB) = try serve("node-b")
        defer {
            for node in [nodeA, nodeB] where node.isRunning {
                node.terminate()
                node.waitUntilExit()
            }
        }
        func open(_ port: Int) throws -> WebSocketClient {
            try WebSocketClient(url: URL(string: "ws://127.0.0.1:\(port)/v1/interview")!,
                                headers: [("Authorization", "Bearer \(token)")])
        }
        let onA = try open(portA)
        let onB = try open(portB)
        defer {
            onA.shutdown()
            onB.shutdown()
        }
        try onA.send(json: ["type": "session.start", "track": "behavioural"])
        try onB.send(json: ["type": "session.start", "track": "behavioural"])
        let sessionA = try #require(try onA.next("session.started")["session_id"] as? String)
        let sessionB = try #require(try onB.next("session.started")["session_id"] as? String)
        try onA.send(json: ["type": "answer.text", "text": "At my last job I moved our billing to a new database."])
        // Two settlements on A: what its client was last told it had used was committed then.
        var usedOnA = 0
        for _ in 0..<2 {
            usedOnA = try #require(try onA.next("billing.updated", limit: 100)["session_used_ms"] as? Int)
        }
        #expect(usedOnA > 0)

        kill(nodeA.processIdentifier, SIGKILL)
        nodeA.waitUntilExit()
        #expect(nodeA.terminationReason == .uncaughtSignal)

        // B serves on: its session keeps being settled, then ends as asked.
        var usedOnB = 0
        for _ in 0..<2 {
            usedOnB = try #require(try onB.next("billing.updated", limit: 100)["session_used_ms"] as? Int)
        }
        try onB.send(json: ["type": "session.end"])
        #expect(try onB.next("session.ended")["reason"] as? String == "client_ended")
        // B stops cleanly, so its session's last partial second is written before the ledger is read.
        nodeB.terminate()
        nodeB.waitUntilExit()

        let ledger = try store.ledger(accountID: account.id)
        let balance = try store.balance(accountID: account.id)
        #expect(ledger.map(\.amountMs).reduce(0, +) == balance, "the balance is the sum of the ledger")
        func usage(_ session: String) -> Int64 {
            -ledger.filter { $0.kind == .usage && $0.sessionID == session }.map(\.amountMs).reduce(0, +)
        }
        let billedA = try #require(try store.session(id: sessionA, accountID: account.id)).session.billedMs
        #expect(billedA == usage(sessionA))
        // What A's client was told it had used was settled, but for the milliseconds metered while that last
        // settlement was on its way; at most the second after it is lost.
        #expect(billedA + 1_000 >= Int64(usedOnA), "A lost more than its unsettled second: billed \(billedA), used \(usedOnA)")
        #expect(billedA <= Int64(usedOnA) + 2_000, "the killed session is not charged for time after the kill")
        let listingB = try #require(try store.session(id: sessionB, accountID: account.id)).session
        #expect(listingB.billedMs == usage(sessionB))
        #expect(listingB.billedMs >= Int64(usedOnB) - 1_000)
        #expect(usage(sessionA) + usage(sessionB) == 600_000 - balance, "every charge is one of the two sessions'")

        // A's session stays open until A starts again; then A closes it, and only it.
        #expect(try store.session(id: sessionA, accountID: account.id)?.session.endedAt == nil)
        let (restarted, _) = try serve("node-a")
        defer {
            restarted.terminate()
            restarted.waitUntilExit()
        }
        #expect(try store.session(id: sessionA, accountID: account.id)?.session.endReason == "error")
        #expect(try store.session(id: sessionB, accountID: account.id)?.session.endReason == "client_ended")
        #expect(try store.balance(accountID: account.id) == balance, "the restart charged nothing")
    }

    /// A node that loses the database keeps interviewing and keeps its charges; when the database is back they are
    /// settled, each once: the time of the outage is charged, not lost.
    @Test func aNodeThatLosesTheDatabaseKeepsItsChargesAndSettlesThemLater() throws {
        let fleet = try Fleet()
        let node = fleet.nodes[0]
        let (token, accountID) = try node.signUpWithID()
        let client = try node.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        var before = 0
        for _ in 0..<2 {
            before = try #require(try client.next("billing.updated", limit: 100)["session_used_ms"] as? Int)
        }

        try TestPostgres.setReachable(fleet.url, false)
        // For three seconds' worth of settlement attempts no settlement can be written, so none is reported; the
        // candidate keeps answering meanwhile (an answer in progress keeps the session metered).
        var reported: [String] = []
        var words = ["At", "my", "last", "job", "I", "moved", "our", "billing", "to", "a", "new", "database"][...]
        var answer = ""
        let outageEnds = Date().addingTimeInterval(3.5)
        while Date() < outageEnds {
            if let word = words.popFirst() {
                answer += (answer.isEmpty ? "" : " ") + word
                try client.send(json: ["type": "answer.text", "text": answer])
            }
            if let event = try? client.nextJSON(timeout: 0.3) { reported.append(event["type"] as? String ?? "?") }
        }
        #expect(!reported.contains("billing.updated"), "nothing was settled while the database was away: \(reported)")
        try TestPostgres.setReachable(fleet.url, true)

        let after = try #require(try client.next("billing.updated", limit: 100, timeout: 20)["session_used_ms"] as? Int)
        #expect(after >= before + 3_000, "the session went on metering through the outage")
        try client.send(json: ["type": "session.end"])
        #expect(try client.next("session.ended")["reason"] as? String == "client_ended")
        node.engine.stop()  // the last partial second is written before the stop returns

        let store = try PostgresStore(url: fleet.url, nodeID: "reader")
        let billed = try #require(try store.session(id: sessionID, accountID: accountID)).session.billedMs
        let usage = -(try store.ledger(accountID: accountID)).filter { $0.kind == .usage }.map(\.amountMs).reduce(0, +)
        #expect(billed == usage)
        #expect(billed >= Int64(after) - 1_000, "what was metered through the outage was charged")
        #expect(try store.balance(accountID: accountID) == 600_000 - usage)
    }

    /// A parked session lives on its node: the resume token names that node, a reconnect routed there by its
    /// `?node=` takes the session back, and the other node refuses it.
    @Test func aResumeTokenNamesItsNodeAndOnlyThatNodeResumes() throws {
        let fleet = try Fleet { $0.resumeGraceSeconds = 30 }
        let (a, b) = (fleet.nodes[0], fleet.nodes[1])
        let token = try a.signUp()
        let first = try a.connect(token: token)
        try first.send(json: ["type": "session.start", "track": "behavioural"])
        let started = try first.next("session.started")
        let sessionID = try #require(started["session_id"] as? String)
        let resumeToken = try #require(started["resume_token"] as? String)
        #expect(resumeToken.hasPrefix("node-a."))
        _ = try first.next("question")
        first.shutdown()

        let elsewhere = try b.connect(token: token)
        defer { elsewhere.shutdown() }
        try elsewhere.send(json: ["type": "session.resume", "id": "r0", "session_id": sessionID, "resume_token": resumeToken])
        #expect(try elsewhere.next("error")["code"] as? String == "resume_failed")

        let routed = try WebSocketClient(url: URL(string: "ws://127.0.0.1:\(a.server.port)/v1/interview?node=node-a")!,
                                         headers: [("Authorization", "Bearer \(token)")])
        defer { routed.shutdown() }
        let resumed = try #require(try ResumeEndToEndTests.resume(sessionID, token: resumeToken, on: routed))
        #expect(resumed["session_id"] as? String == sessionID)
    }

    /// A sender used by one thread at a time (each node has its own HTTP client).
    struct Unchecked<Value>: @unchecked Sendable {
        let value: Value
    }

    final class Answers: @unchecked Sendable {
        private let lock = NSLock()
        private var answers: [HTTPClient.Response?] = []
        func add(_ answer: HTTPClient.Response?) { lock.withLock { answers.append(answer) } }
        var all: [HTTPClient.Response?] { lock.withLock { answers } }
    }
}
