import Foundation
import Testing
import TestSupport

/// The command line with a model: `jestry prompts preview --model-url` shows the model's checked wording beside the
/// template's, and `jestry serve --model-url` gives sessions the model interviewer without the key on the command line.
@Suite struct ModelCommandLineEndToEndTests {
    static let prompts = TestEngine.repository.appendingPathComponent("Prompts").path

    @Test func previewShowsTheModelsWordingBesideTheTemplates() throws {
        let model = try StandInModelServer { _, _ in .stream(["What did you ", "say to your colleague first?"]) }
        defer { model.stop() }
        let output = try CommandLineEndToEndTests.run(
            ["prompts", "preview", "behavioural.conflict", "--answer", "We talked it through and it was fine.",
             "--prompts", Self.prompts, "--model-url", model.url.absoluteString, "--model-name", "stand-in"],
            environment: ["JESTRY_MODEL_KEY": "preview-key"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("Follow-up: follow-up.too-short"))
        #expect(output.stdout.contains("checked: What did you say to your colleague first?"))
        #expect(output.stdout.contains("Template text: Could you tell me more, with one specific example?"))
        let request = try #require(model.requests.first)
        #expect(request.head.lowercased().contains("authorization: bearer preview-key"))
        #expect(request.prompt.contains("Candidate: We talked it through and it was fine."))
    }

    @Test func previewShowsTheModelsContentFollowUpWhenNoRuleFires() throws {
        let model = try StandInModelServer { _, _ in .stream(["Why a pool of 200 rather than fixing the batch job?"]) }
        defer { model.stop() }
        let output = try CommandLineEndToEndTests.run(
            ["prompts", "preview", "software-engineering.incident", "--answer", ContentFollowUpEndToEndTests.strongAnswer,
             "--prompts", Self.prompts, "--model-url", model.url.absoluteString])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("A model interviewer asks its own question (content follow-up follow-up.content"))
        #expect(output.stdout.contains("checked: Why a pool of 200 rather than fixing the batch job?"))
        #expect(output.stdout.contains("Template text: none (a content follow-up, follow-up.content)"))
    }

    @Test func previewSaysWhenTheModelsWordingIsRejected() throws {
        let model = try StandInModelServer { _, _ in .stream(["Note: ask about the colleague. What happened?"]) }
        defer { model.stop() }
        let output = try CommandLineEndToEndTests.run(
            ["prompts", "preview", "behavioural.conflict", "--answer", "We talked it through and it was fine.",
             "--prompts", Self.prompts, "--model-url", model.url.absoluteString])
        #expect(output.status == 0)
        #expect(output.stdout.contains("rejected: meta-text or notes (note:); the engine would ask the template's text"))
    }

    @Test func aModelPlaysTheCandidateFromAPersona() throws {
        let answer = "At my last job I led the move of our payment service to a new cluster, and errors fell by 40%."
        let model = try StandInModelServer { _, _ in .stream([answer]) }
        defer { model.stop() }
        let engine = try TestEngine()
        let token = try engine.signUp()
        let persona = TestEngine.repository.appendingPathComponent("Tests/Bots/personas/strong.yaml").path
        let output = try CommandLineEndToEndTests.run(
            ["bot", "--persona", persona, "--model-url", model.url.absoluteString, "--url", engine.interviewURL.absoluteString],
            environment: ["JESTRY_TOKEN": token])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains(answer))
        #expect(output.stdout.contains("— session ended (client_ended)"))
        // Four answers (max_answers), each asked with the persona and the question the interviewer asked.
        #expect(model.requests.count == 4)
        let first = try #require(model.requests.first)
        #expect(first.prompt.contains("You are Priya"))
        #expect(first.prompt.contains("Interviewer: Tell me about a time"))
        #expect(model.requests.last?.prompt.contains("You: \(answer)") == true)
    }

    @Test func theBotPrintsTheInterviewersWrittenNotesAtTheEnd() throws {
        let answer = "At my last job I led the move of our payment service to a new cluster, and errors fell by 40%."
        let model = try StandInModelServer { _, request in
            switch request.schemaName {
            case "session_report": .stream([ContentFollowUpEndToEndTests.written])
            case "answer_grade": .status(500)
            default: .stream([answer])  // the candidate's answers; as a follow-up's wording it fails the checks
            }
        }
        defer { model.stop() }
        let engine = try ContentFollowUpEndToEndTests.engine(model: model)
        let persona = TestEngine.repository.appendingPathComponent("Tests/Bots/personas/strong.yaml").path
        let output = try CommandLineEndToEndTests.run(
            ["bot", "--persona", persona, "--model-url", model.url.absoluteString, "--url", engine.interviewURL.absoluteString],
            environment: ["JESTRY_TOKEN": try engine.signUp()])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("Interviewer's notes: You told a clear incident story with numbers.\n  - Say what you would do next time."))
    }

    @Test func aPersonaNeedsAModel() throws {
        let persona = TestEngine.repository.appendingPathComponent("Tests/Bots/personas/vague.yaml").path
        let output = try CommandLineEndToEndTests.run(["bot", "--persona", persona, "--token", "t"],
                                                      environment: ["JESTRY_MODEL_URL": ""])
        #expect(output.status != 0)
        #expect(output.stderr.contains("--persona needs --model-url"))
    }

    @Test func theConfigurationFileTakesTheModelSettingsButNeverItsKey() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-model-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("model_url: http://127.0.0.1:8092\nmodel_name: smollm2-135m\nmodel_total_ms: 3000\nmodel_key: sk-secret\n".utf8)
            .write(to: file)
        let result = try CommandLineEndToEndTests.run(["config", "check", file.path])
        #expect(result.status == 1)
        #expect(result.stdout.split(separator: "\n").map(String.init) == [
            "\(file.path):4:1: \"model_key\" is a secret and is never read from a file: set JESTRY_MODEL_KEY in the environment",
        ], "\(result.stdout)")
        #expect(!result.stdout.contains("sk-secret") && !result.stderr.contains("sk-secret"))
    }

    @Test func theWrittenReportsWaitIsBounded() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-model-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("model_url: http://127.0.0.1:8092\nmodel_report_wait_ms: 5000\n".utf8).write(to: file)
        #expect(try CommandLineEndToEndTests.run(["config", "check", file.path]).status == 0)
        try Data("model_report_wait_ms: 90000\n".utf8).write(to: file)
        let tooLong = try CommandLineEndToEndTests.run(["config", "check", file.path])
        #expect(tooLong.status == 1)
        #expect(tooLong.stdout.contains("\(file.path):1:"), "\(tooLong.stdout)")
        let flag = try CommandLineEndToEndTests.run(["serve", "--port", "0", "--model-url", "http://127.0.0.1:9",
                                                     "--model-report-wait-ms", "90000"])
        #expect(flag.status != 0)
        #expect(flag.stderr.contains("--model-report-wait-ms must be at most 60000"))
    }

    @Test func serveRefusesAModelURLThatIsNotHTTP() throws {
        let output = try CommandLineEndToEndTests.run(["serve", "--port", "0", "--model-url", "ftp://example.com"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("--model-url must be an http(s) URL"))
    }
}
