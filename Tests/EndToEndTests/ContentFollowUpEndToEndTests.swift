import EngineClient
import Foundation
import Interview
import Server
import Testing
import TestSupport

/// Over real sockets, against the stand-in model service: on a track that opts in (software-engineering), a strong
/// answer where no rule fires gets the model's own follow-up about it; when the model fails, nothing extra is asked.
/// At the end `session.ended` carries the rules' report at once and `report.written` brings the model's words.
@Suite struct ContentFollowUpEndToEndTests {
    /// A complete STAR answer to the first software-engineering question: no rule fires for it.
    static let strongAnswer = """
        At my last job our checkout service fell over every Friday. My task was to find out why. I traced it to a \
        connection pool of 20, raised it to 200 and added a queue in front, and as a result we had no outage for six \
        months and checkout latency dropped by 40 percent. The root cause was a batch job that held connections, so I \
        moved it to its own pool and added an alert.
        """
    static let wording = "Why did you choose a pool of 200 rather than fixing the batch job first?"
    static let written = #"{"summary":"You told a clear incident story with numbers.","practise":"#
        + #"["Say what you would do next time.","Name the trade-off you made.","Keep the timeline short."]}"#

    static func engine(model: StandInModelServer, budget: ModelLatencyBudget = ModelLatencyBudget()) throws -> TestEngine {
        try TestEngine { configuration in
            var provider = ModelProviderConfiguration(url: model.url, key: nil, name: "stand-in-model")
            provider.budget = budget
            configuration.model = provider
        }
    }

    /// Starts a software-engineering session, gives the strong answer and returns the events up to the next question.
    static func answerStrongly(_ client: WebSocketClient) throws -> (sessionID: String, types: [String], question: [String: Any]) {
        try client.send(json: ["type": "session.start", "track": "software-engineering", "mode": "text"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        _ = try client.next("question")
        try client.send(json: ["type": "answer.text", "text": strongAnswer])
        try client.send(json: ["type": "answer.done"])
        var types: [String] = []
        for _ in 0..<40 {
            let event = try client.nextJSON(timeout: 15)
            types.append(event["type"] as? String ?? "?")
            if event["type"] as? String == "question" { return (sessionID, types, event) }
        }
        Issue.record("no question arrived")
        return (sessionID, types, [:])
    }

    @Test func theModelAsksAboutAStrongAnswerAndTheWrittenReportFollowsSessionEnded() throws {
        let model = try StandInModelServer { _, request in
            switch request.schemaName {
            case "session_report": .stream([Self.written])
            case "answer_grade": .status(500)  // the rules' scores stand
            default: .stream(["Why did you choose a pool of 200 ", "rather than fixing the batch job first?"])
            }
        }
        defer { model.stop() }
        // Generous budgets: this test is about the path, not the clock of a busy machine.
        let engine = try Self.engine(model: model, budget: ModelLatencyBudget(firstTokenMs: 20_000, totalMs: 30_000))
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        let (sessionID, types, question) = try Self.answerStrongly(client)

        #expect(types.contains("interviewer.thinking"))
        #expect(question["text"] as? String == Self.wording)
        #expect(question["kind"] as? String == "follow_up")
        #expect(question["source"] as? String == "model")
        #expect(question["model"] as? String == "stand-in-model")
        #expect((question["template"] as? [String: String])?["id"] == "follow-up.content")
        let wordingRequest = try #require(model.requests.first { $0.schemaName == nil })
        #expect(wordingRequest.prompt.contains("a decision they"))
        #expect(wordingRequest.prompt.contains("connection pool of 20"))

        let stored = try engine.waitForSession(sessionID, token: token) { ($0["turns"] as? [[String: Any]])?.count == 2 }
        let turns = try #require(stored["turns"] as? [[String: Any]])
        #expect(turns[1]["source"] as? String == "model")
        #expect(turns[1]["model"] as? String == "stand-in-model")
        #expect(turns[1]["template_id"] as? String == "follow-up.content")
        #expect((turns[1]["template_version"] as? String)?.count == 12)

        try client.send(json: ["type": "session.end"])
        let ended = try client.next("session.ended")
        #expect(ended["written_report_pending"] as? Bool == true)
        #expect((ended["report"] as? [String: Any])?["written"] == nil)
        let report = try client.next("report.written", timeout: 15)
        #expect(report["available"] as? Bool == true)
        #expect(report["summary"] as? String == "You told a clear incident story with numbers.")
        #expect((report["practise"] as? [String])?.count == 3)
        #expect(report["model"] as? String == "stand-in-model")
        #expect(try client.drainUntilClosed().code == 1000)
    }

    @Test func whenTheModelFailsNothingExtraIsAskedAndTheReportSaysItHasNoWrittenPart() throws {
        let model = try StandInModelServer { _, _ in .status(500) }
        defer { model.stop() }
        let engine = try Self.engine(model: model)
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        let (_, types, question) = try Self.answerStrongly(client)

        #expect(types.contains("interviewer.thinking"))
        #expect(question["question_id"] as? String == "q2")
        #expect(question["kind"] as? String == "main")
        #expect(question["source"] as? String == "template")
        #expect((question["template"] as? [String: String])?["id"] == "software-engineering.design-trade-off")

        try client.send(json: ["type": "session.end"])
        #expect(try client.next("session.ended")["written_report_pending"] as? Bool == true)
        // The report's call failed at once: no waiting for the bound.
        let report = try client.next("report.written", timeout: 15)
        #expect(report["available"] as? Bool == false)
        #expect(report["summary"] == nil)
        #expect(try client.drainUntilClosed().code == 1000)
    }
}
