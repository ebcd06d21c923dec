import EngineClient
import Foundation
import Testing

/// A running engine picks up edited prompts for new sessions, keeps running sessions on their version, and keeps
/// the last good version when an edit is broken.
@Suite struct PromptsReloadEndToEndTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-reload-\(UUID().uuidString)")

    func write(_ text: String, to name: String) throws {
        try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func question(_ id: String, _ text: String) -> String {
        "---\nid: \(id)\nkind: question\ntrack: mini\ntopic: \(id)\n---\n\(text)\n"
    }

    func writeFixture() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try write("id: mini\ntitle: Mini\nquestions: [mini.one, mini.two]\nmax_follow_ups: 0\n", to: "mini.track.yaml")
        try write(question("mini.one", "What is your name?"), to: "one.prompt")
        try write(question("mini.two", "Where do you work?"), to: "two.prompt")
    }

    func firstQuestion(_ engine: TestEngine, token: String) throws -> (client: WebSocketClient, question: [String: Any]) {
        let client = try engine.connect(token: token)
        try client.send(json: ["type": "session.start", "track": "mini"])
        return (client, try client.next("question"))
    }

    /// Waits (bounded) for the watcher to act on an edit.
    func waitForStatus(_ engine: TestEngine, until condition: ([String: Any]) -> Bool) throws -> [String: Any] {
        try eventually("the prompts status changes") {
            let status = try engine.http.send("GET", "v1/prompts/status").json
            return condition(status) ? status : nil
        } ?? [:]
    }

    @Test func editsReachNewSessionsAndBrokenEditsAreRefused() throws {
        try writeFixture()
        defer { try? FileManager.default.removeItem(at: folder) }
        let engine = try TestEngine(promptsDirectory: folder, watchPrompts: true)
        let token = try engine.signUp()
        let initial = try engine.http.send("GET", "v1/prompts/status").json
        let firstVersion = try #require(initial["version"] as? String)
        #expect((initial["errors"] as? [Any])?.isEmpty == true)

        let (running, before) = try firstQuestion(engine, token: token)
        defer { running.shutdown() }
        #expect(before["text"] as? String == "What is your name?")

        try write(question("mini.one", "What should I call you?"), to: "one.prompt")
        try write(question("mini.two", "Where do you work now?"), to: "two.prompt")
        let reloaded = try waitForStatus(engine) { $0["version"] as? String != firstVersion }
        #expect((reloaded["errors"] as? [Any])?.isEmpty == true)

        // A new session sees the edit, with the new template version.
        let (fresh, after) = try firstQuestion(engine, token: token)
        fresh.shutdown()
        #expect(after["text"] as? String == "What should I call you?")
        let oldVersion = (before["template"] as? [String: String])?["version"]
        let newVersion = (after["template"] as? [String: String])?["version"]
        #expect(oldVersion != nil && newVersion != nil && oldVersion != newVersion)

        // The session that was already running keeps the version it started with.
        try running.send(json: ["type": "answer.text", "text": "Ada"])
        try running.send(json: ["type": "answer.done"])
        #expect(try running.next("question")["text"] as? String == "Where do you work?")

        // A broken edit: the last good version stays in service, and the status says exactly what is wrong.
        try write("---\nid: mini.one\nkind: question\ntrack: mini\ntopic: one\n---\nHello {{nme}}\n", to: "one.prompt")
        let broken = try waitForStatus(engine) { !(($0["errors"] as? [Any])?.isEmpty ?? true) }
        #expect(broken["version"] as? String == reloaded["version"] as? String)
        let problem = try #require((broken["errors"] as? [[String: Any]])?.first)
        #expect((problem["file"] as? String)?.hasSuffix("one.prompt") == true)
        #expect(problem["line"] as? Int == 7 && problem["column"] as? Int == 7)
        #expect((problem["message"] as? String)?.contains("\"nme\" is not a declared input") == true)
        let (stillGood, served) = try firstQuestion(engine, token: token)
        stillGood.shutdown()
        #expect(served["text"] as? String == "What should I call you?")

        // Fixing the file clears the errors.
        try write(question("mini.one", "And your name is?"), to: "one.prompt")
        let fixed = try waitForStatus(engine) { ($0["errors"] as? [Any])?.isEmpty == true }
        #expect(fixed["version"] as? String != reloaded["version"] as? String)
    }
}
