import EngineClient
import Foundation
import Interview
import Server
import Testing
import TestSupport

/// The model interviewer over real sockets, against a scripted stand-in model service: the follow-up the rules
/// chose is worded by the model when its wording streams in valid and in time, and is the template's own text on
/// every kind of failure; the model's request is cancelled when the candidate starts again or ends the session.
@Suite struct ModelInterviewerEndToEndTests {
    /// A too-short answer to the first behavioural question: `follow-up.too-short` fires.
    static let shortAnswer = "We fixed it in the end."
    static let templateStart = "Could you tell me more, with one specific example?"

    /// What the candidate saw after ending the first answer, up to the next question.
    struct Turn {
        var types: [String] = []
        var thinking: [String: Any]?
        var question: [String: Any] = [:]
        var sessionID = ""
        var token = ""
    }

    static func engine(model: StandInModelServer, budget: ModelLatencyBudget = ModelLatencyBudget()) throws -> TestEngine {
        try TestEngine { configuration in
            var provider = ModelProviderConfiguration(url: model.url, key: "test-key", name: "stand-in-model")
            provider.budget = budget
            configuration.model = provider
            configuration.metricsToken = OperationsEndToEndTests.metricsToken
        }
    }

    /// Starts a text session, answers the first question shortly and ends the answer; `beforeQuestion` runs once
    /// `interviewer.thinking` has arrived.
    static func answerFirstQuestion(on engine: TestEngine, client: WebSocketClient, token: String,
                                    beforeQuestion: (WebSocketClient) throws -> Void = { _ in }) throws -> Turn {
        var turn = Turn(token: token)
        try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "text"])
        let started = try client.next("session.started")
        #expect(started["interviewer"] as? String == "model")
        turn.sessionID = try #require(started["session_id"] as? String)
        _ = try client.next("question")
        try client.send(json: ["type": "answer.text", "text": shortAnswer])
        try client.send(json: ["type": "answer.done"])
        for _ in 0..<40 {
            let event = try client.nextJSON(timeout: 15)
            let type = event["type"] as? String ?? "?"
            turn.types.append(type)
            if type == "interviewer.thinking" {
                turn.thinking = event
                try beforeQuestion(client)
            }
            if type == "question" {
                turn.question = event
                return turn
            }
        }
        Issue.record("no follow-up question arrived")
        return turn
    }

    @Test func validStreamedWordingIsAskedAndStoredAsTheModels() throws {
        let model = try StandInModelServer { _, _ in
            .stream(["What did ", "you fix, ", "and how did you know it worked?"], between: 0.02)
        }
        defer { model.stop() }
        // Generous budgets: this test is about the wording path, not the clock of a busy machine.
        let engine = try Self.engine(model: model, budget: ModelLatencyBudget(firstTokenMs: 20_000, totalMs: 30_000))
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        let turn = try Self.answerFirstQuestion(on: engine, client: client, token: token)

        #expect(turn.thinking?["after_question_id"] as? String == "q1")
        #expect(turn.thinking?["budget_ms"] as? Int == 30_000)
        #expect(turn.types.firstIndex(of: "interviewer.thinking")! > turn.types.firstIndex(of: "answer.scored")!)
        #expect(turn.question["text"] as? String == "What did you fix, and how did you know it worked?")
        #expect(turn.question["source"] as? String == "model")
        #expect(turn.question["model"] as? String == "stand-in-model")
        #expect((turn.question["template"] as? [String: String])?["id"] == "follow-up.too-short")

        // What the model was sent: a streamed request, the key as a bearer token, the template's instructions and
        // the candidate's answer.
        let request = try #require(model.requests.first { $0.body["response_format"] == nil })
        #expect(request.head.hasPrefix("POST /v1/chat/completions "))
        #expect(request.head.lowercased().contains("authorization: bearer test-key"))
        #expect(request.body["stream"] as? Bool == true)
        #expect(request.body["model"] as? String == "stand-in-model")
        #expect(request.prompt.contains("The candidate gave a very short answer."))
        #expect(request.prompt.contains("Candidate: \(Self.shortAnswer)"))

        let stored = try engine.waitForSession(turn.sessionID, token: token) { ($0["turns"] as? [[String: Any]])?.count == 2 }
        let turns = try #require(stored["turns"] as? [[String: Any]])
        #expect(turns[0]["source"] as? String == "template")
        #expect(turns[1]["source"] as? String == "model")
        #expect(turns[1]["model"] as? String == "stand-in-model")
        #expect(turns[1]["template_id"] as? String == "follow-up.too-short")

        // The operator sees the calls: answered, with their latency.
        let metrics = try OperationsEndToEndTests.scrape(engine.http)
        #expect((metrics["jestry_external_calls_total{service=\"model\",outcome=\"ok\"}"] ?? 0) >= 1)
        #expect((metrics["jestry_external_call_latency_seconds_count{service=\"model\"}"] ?? 0) >= 1)
    }

    enum Failure: String, CaseIterable {
        case errorStatus, invalidOutput, slowFirstToken, hungConnection, hungAfterFirstToken
    }

    /// Each failure, with the production budget: the candidate gets the template's own text, and a model call
    /// still running is cancelled (its connection closed).
    @Test(arguments: Failure.allCases)
    func everyFailureFallsBackToTheTemplate(_ failure: Failure) throws {
        let model = try StandInModelServer { _, _ in
            switch failure {
            case .errorStatus: .status(500)
            case .invalidOutput: .stream(["Here is a follow-up question: ", "what did you do?"])
            case .slowFirstToken: .stream(["What did you do?"], firstDelay: 30)
            case .hungConnection: .hang
            case .hungAfterFirstToken: .streamThenHang(["What did you "])
            }
        }
        defer { model.stop() }
        let engine = try Self.engine(model: model)
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        let turn = try Self.answerFirstQuestion(on: engine, client: client, token: token)

        #expect(turn.thinking != nil)
        #expect(turn.question["source"] as? String == "template")
        #expect(turn.question["model"] == nil)
        #expect((turn.question["text"] as? String)?.hasPrefix(Self.templateStart) == true)
        if [.slowFirstToken, .hungConnection, .hungAfterFirstToken].contains(failure) {
            _ = eventually("the model call is cancelled") { model.wordingIndex.map(model.clientClosedEarly) == true ? true : nil }
        }
        if failure == .errorStatus {  // the operator sees the failures, and no success
            let metrics = try OperationsEndToEndTests.scrape(engine.http)
            #expect((metrics["jestry_external_calls_total{service=\"model\",outcome=\"failed\"}"] ?? 0) >= 1)
            #expect(metrics["jestry_external_calls_total{service=\"model\",outcome=\"ok\"}"] == 0)
        }
    }

    @Test func typingAgainWhileTheInterviewerThinksCancelsTheModel() throws {
        let model = try StandInModelServer { _, _ in .hang }
        defer { model.stop() }
        let engine = try Self.engine(model: model, budget: ModelLatencyBudget(firstTokenMs: 30_000, totalMs: 30_000))
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        let turn = try Self.answerFirstQuestion(on: engine, client: client, token: token) { client in
            _ = eventually("the model is asked") { model.wordingIndex }
            try client.send(json: ["type": "answer.text", "text": "Actually, let me add that it took two weeks."])
        }
        #expect(turn.question["source"] as? String == "template")
        #expect(turn.question["question_id"] as? String == "q2")
        _ = eventually("the model call is cancelled") { model.wordingIndex.map(model.clientClosedEarly) == true ? true : nil }
    }

    @Test func endingTheSessionWhileTheInterviewerThinksCancelsTheModel() throws {
        let model = try StandInModelServer { _, _ in .hang }
        defer { model.stop() }
        let engine = try Self.engine(model: model, budget: ModelLatencyBudget(firstTokenMs: 30_000, totalMs: 30_000))
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "text"])
        _ = try client.next("question")
        try client.send(json: ["type": "answer.text", "text": Self.shortAnswer])
        try client.send(json: ["type": "answer.done"])
        _ = try client.next("interviewer.thinking")
        _ = eventually("the model is asked") { model.wordingIndex }
        try client.send(json: ["type": "session.end"])
        let drained = try client.drainUntilClosed()
        #expect(drained.types.contains("session.ended"))
        #expect(!drained.types.contains("question"))
        // The report's call hangs too: once the wait is over the client is told there is no written report.
        #expect(drained.types.last == "report.written")
        #expect(drained.code == 1000)
        _ = eventually("the model call is cancelled") { model.wordingIndex.map(model.clientClosedEarly) == true ? true : nil }
        // The grade of the first answer, still out, is cancelled too.
        let grading = try #require(model.requests.firstIndex { $0.body["response_format"] != nil })
        _ = eventually("the grading call is cancelled") { model.clientClosedEarly(grading) ? true : nil }
    }

    /// The grade: every criterion with evidence quoted from `shortAnswer`.
    static let grade = #"{"structure":{"score":20,"evidence":"We fixed it"},"specificity":{"score":10,"evidence":""},"#
        + #""relevance":{"score":40,"evidence":"fixed it in the end"},"concision":{"score":30,"evidence":""},"#
        + #""delivery":{"score":70,"evidence":"We fixed it in the end"}}"#

    @Test func theModelGradesEachAnswerBesideTheRules() throws {
        let model = try StandInModelServer { _, request in
            switch request.schemaName {
            case "answer_grade": .stream([String(Self.grade.prefix(60)), String(Self.grade.dropFirst(60))])
            case "session_report": .stream([Self.written])
            default: .stream(["What did you fix, and how?"])
            }
        }
        defer { model.stop() }
        let engine = try Self.engine(model: model, budget: ModelLatencyBudget(firstTokenMs: 20_000, totalMs: 30_000))
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "text"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        _ = try client.next("question")
        try client.send(json: ["type": "answer.text", "text": Self.shortAnswer])
        try client.send(json: ["type": "answer.done"])
        let rules = try client.next("answer.scored")
        #expect(rules["scored_by"] as? String == "rules")
        let graded = try client.next("answer.scored")
        #expect(graded["scored_by"] as? String == "model")
        #expect(graded["question_id"] as? String == "q1")
        #expect((graded["scores"] as? [String: Int])?["structure"] == 20)
        #expect((graded["rules"] as? [String: Int]) == (rules["scores"] as? [String: Int]))
        #expect((graded["evidence"] as? [String: String])?["structure"] == "\u{201C}We fixed it\u{201D}")

        // The grading request asked for the schema; the stored answer has the model's score with the rules' beside.
        let grading = try #require(model.requests.first { $0.body["response_format"] != nil })
        #expect(((grading.body["response_format"] as? [String: Any])?["type"] as? String) == "json_schema")
        let stored = try engine.waitForSession(sessionID, token: token) {
            (($0["turns"] as? [[String: Any]])?.first?["score"] as? [String: Any])?["scored_by"] as? String == "model"
        }
        let score = try #require((stored["turns"] as? [[String: Any]])?.first?["score"] as? [String: Any])
        #expect((score["rules"] as? [String: Int]) == (rules["scores"] as? [String: Int]))

        // The end: the model writes the report's summary and three things to practise, stored with the report.
        try client.send(json: ["type": "session.end"])
        _ = try client.drainUntilClosed()
        let ended = try engine.waitForSession(sessionID, token: token) {
            (($0["report"] as? [String: Any])?["written"] as? [String: Any]) != nil
        }
        let written = try #require((ended["report"] as? [String: Any])?["written"] as? [String: Any])
        #expect(written["summary"] as? String == "You kept your answer short; the story needs more detail.")
        #expect((written["practise"] as? [String])?.count == 3)
        #expect(written["model"] as? String == "stand-in-model")
    }

    static let written = #"{"summary":"You kept your answer short; the story needs more detail.","practise":"#
        + #"["Say what was broken before you fixed it.","Say what you did yourself.","End with a number."]}"#

    @Test func anAccountThatTurnsModelProcessingOffGetsTheTemplateInterviewerAndSendsTheModelNothing() throws {
        let model = try StandInModelServer { _, _ in .stream(["What did you fix?"]) }
        defer { model.stop() }
        let engine = try Self.engine(model: model)
        let token = try engine.signUp()
        let me = try engine.http.send("GET", "v1/me", token: token)
        #expect(me.json["model_processing"] as? Bool == true)
        let off = try engine.http.send("PATCH", "v1/me", body: ["model_processing": false], token: token)
        #expect(off.status == 200)
        #expect(off.json["model_processing"] as? Bool == false)
        let wrong = try engine.http.send("PATCH", "v1/me", body: ["model_processing": "no"], token: token)
        #expect(wrong.status == 400)

        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "text"])
        #expect(try client.next("session.started")["interviewer"] as? String == "template")
        _ = try client.next("question")
        try client.send(json: ["type": "answer.text", "text": Self.shortAnswer])
        try client.send(json: ["type": "answer.done"])
        let question = try client.next("question")
        #expect(question["source"] as? String == "template")
        #expect(model.requests.isEmpty)
    }

    @Test func withoutAModelTheSessionHasTheTemplateInterviewer() throws {
        let engine = try TestEngine()
        let client = try engine.connect(token: try engine.signUp())
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural", "mode": "text"])
        let started = try client.next("session.started")
        #expect(started["interviewer"] as? String == "template")
        _ = try client.next("question")
        try client.send(json: ["type": "answer.text", "text": Self.shortAnswer])
        try client.send(json: ["type": "answer.done"])
        var types: [String] = []
        var question: [String: Any] = [:]
        while question.isEmpty {
            let event = try client.nextJSON()
            types.append(event["type"] as? String ?? "?")
            if event["type"] as? String == "question" { question = event }
        }
        #expect(!types.contains("interviewer.thinking"))
        #expect(question["source"] as? String == "template")
        #expect((question["text"] as? String)?.hasPrefix(Self.templateStart) == true)
    }
}
