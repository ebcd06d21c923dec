import EngineClient
import Foundation
import Interview
import Logging
import Prompts
import Server
import Store
import Testing
import TestSupport

/// A real engine on an ephemeral port with its own temporary data folder, for one test.
final class TestEngine {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    let engine: Engine
    var server: EngineServer { engine.server }
    var store: any EngineStore { engine.store }
    var prompts: PromptsProvider { engine.prompts }
    let dataDirectory: URL
    let http: HTTPClient

    /// `promptsDirectory` defaults to the repository's Prompts/; `watchPrompts` turns on live reload; `log` hears
    /// every line from notices up (the engine's log otherwise shows warnings and errors only); `clock` replaces the
    /// service threads' monotonic clock (a `SteppedClock`). The production settings apply (the resume grace period
    /// included) unless `configure` changes one.
    init(trialMinutes: Double = 10, promptsDirectory: URL? = nil, watchPrompts: Bool = false, log: RecordedLog? = nil,
         configure: (inout ServerConfiguration) -> Void = { _ in }, prepareData: (URL) throws -> Void = { _ in },
         clock: (@Sendable () -> ClockReading)? = nil) throws {
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        try prepareData(dataDirectory)
        var configuration = ServerConfiguration(dataDirectory: dataDirectory,
                                                promptsDirectory: promptsDirectory ?? Self.repository.appendingPathComponent("Prompts"),
                                                staticDirectory: Self.repository.appendingPathComponent("web-static"))
        configuration.port = 0
        configuration.host = "127.0.0.1"
        configuration.trialMinutes = trialMinutes
        // Real PBKDF2, fewer rounds: the production count is tested in SecurityTests and would only slow this down.
        configuration.passwordIterations = 1_000
        configure(&configuration)
        var logger = log.map { log in Logger(label: "jestry.test") { _ in RecordedLog.Handler(log: log) } } ?? Logger(label: "jestry.test")
        logger.logLevel = log == nil ? .warning : .notice
        engine = try Engine.start(configuration, logger: logger, watchPromptsEvery: watchPrompts ? 0.1 : nil,
                                  clock: clock ?? MonotonicClock.now)
        http = HTTPClient(baseURL: URL(string: "http://127.0.0.1:\(engine.port)/")!)
    }

    deinit {
        engine.stop()
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    var interviewURL: URL { URL(string: "ws://127.0.0.1:\(server.port)/v1/interview")! }

    /// Creates an account and signs in; returns the bearer token.
    func signUp(_ email: String = "candidate-\(UUID().uuidString.prefix(8))@example.com") throws -> String {
        let created = try http.send("POST", "v1/accounts", body: ["name": "Test Candidate", "email": email,
                                                                  "password": "a long test password", "birth_date": "1995-06-15"])
        #expect(created.status == 201)
        return try #require(try http.login(email: email, password: "a long test password"))
    }

    func connect(token: String) throws -> WebSocketClient {
        try WebSocketClient(url: interviewURL, headers: [("Authorization", "Bearer \(token)")])
    }

    /// Waits (bounded) until the stored session satisfies `condition`: records are written off the service thread.
    func waitForSession(_ id: String, token: String, until condition: @escaping ([String: Any]) -> Bool) throws -> [String: Any] {
        try eventually("session \(id) reaches the expected state") {
            let response = try http.send("GET", "v1/sessions/\(id)", token: token)
            return response.status == 200 && condition(response.json) ? response.json : nil
        } ?? [:]
    }
}

/// The one way a test waits for something another thread does: `attempt` is tried every `interval` seconds until it
/// returns a value, at most `attempts` times (10 s by default). A wait that runs out records a test failure naming
/// `what`, and returns nil. Never a fixed sleep, never a timed assertion.
func eventually<T>(_ what: String, attempts: Int = 200, interval: TimeInterval = 0.05,
                   _ attempt: () throws -> T?) rethrows -> T? {
    for _ in 0..<attempts {
        if let value = try attempt() { return value }
        Thread.sleep(forTimeInterval: interval)
    }
    Issue.record("never happened: \(what)")
    return nil
}

extension WebSocketClient {
    /// Sends one JSON message.
    func send(json: [String: Any]) throws {
        send(text: String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
    }

    /// The next text event as a JSON object (fails the test on anything else).
    func nextJSON(timeout: TimeInterval = 10) throws -> [String: Any] {
        let event = try receive(timeout: timeout)
        guard case .text(let text) = event else {
            Issue.record("expected a text event, got \(event)")
            return [:]
        }
        return try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Skips events until one of `type` arrives, skipping at most `limit` others.
    func next(_ type: String, limit: Int = 50, timeout: TimeInterval = 10) throws -> [String: Any] {
        for _ in 0..<limit {
            let message = try nextJSON(timeout: timeout)
            if message["type"] as? String == type { return message }
        }
        Issue.record("no \(type) event arrived")
        return [:]
    }

    /// Reads until the connection closes; returns the events seen and the close code.
    func drainUntilClosed(timeout: TimeInterval = 15) throws -> (types: [String], code: UInt16?) {
        var types: [String] = []
        while true {
            switch try receive(timeout: timeout) {
            case .text(let text):
                let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
                types.append(json?["type"] as? String ?? "?")
            case .binary:
                types.append("binary")
            case .closed(let code, _):
                return (types, code)
            }
        }
    }
}

/// A normal text interview on its own connection, started before the probes and finished after them.
final class NormalInterview {
    let engine: TestEngine
    let token: String
    let client: WebSocketClient
    let sessionID: String

    init(_ engine: TestEngine) throws {
        self.engine = engine
        token = try engine.signUp()
        client = try engine.connect(token: token)
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        _ = try client.next("question")
    }

    /// Answers the open question, gets the next one, ends the session, and checks what was stored.
    func finish() throws {
        let answer = "I led the migration of our billing service and we cut the monthly close from 9 days to 2."
        try client.send(json: ["type": "answer.text", "text": answer])
        try client.send(json: ["type": "answer.done"])
        #expect(try client.next("answer.scored")["question_id"] as? String == "q1")
        _ = try client.next("question")
        try client.send(json: ["type": "session.end"])
        #expect(try client.next("session.ended")["reason"] as? String == "client_ended")
        client.shutdown()
        let stored = try engine.waitForSession(sessionID, token: token) { ($0["session"] as? [String: Any])?["end_reason"] is String }
        let turns = try #require(stored["turns"] as? [[String: Any]])
        #expect(turns.first?["answer_text"] as? String == answer)
        #expect(try engine.http.send("GET", "v1/health").status == 200)
    }
}

extension TestEngine {
    /// Runs `probe` while a normal candidate's interview is in progress on this engine, then completes that
    /// interview: whatever the probe did, the other candidate's interview must go on and be stored.
    func besideANormalInterview(_ probe: (NormalInterview) throws -> Void) throws {
        let normal = try NormalInterview(self)
        try probe(normal)
        try normal.finish()
    }
}
