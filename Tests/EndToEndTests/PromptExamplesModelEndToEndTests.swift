import Foundation
import Testing
import TestSupport

/// `jestry prompts test --model-url`: the examples' `model_output` properties are checked on the model's wording
/// (the stand-in model service here), with a clear message for each one that fails; without a model they are
/// counted as not checked and the template path is checked as before.
@Suite struct PromptExamplesModelEndToEndTests {
    static let examples = """
        track: behavioural
        tests:
          - name: the model asks about the disagreement
            question: behavioural.conflict
            answer: We argued about the schema, talked it over, and shipped it.
            expect:
              follow_up: follow-up.too-short
              model_output:
                ends_with_question_mark: true
                max_words: 15
                mentions_answer: true
                excludes: [as an AI]
        """

    /// The repository's prompts and their examples, plus `examples`, in a folder of their own.
    static func promptsWithExamples() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).resolvingSymlinksInPath()
        let prompts = root.appendingPathComponent("Prompts")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestEngine.repository.appendingPathComponent("Prompts"), to: prompts)
        try Data(examples.utf8).write(to: prompts.appendingPathComponent("model.tests.yaml"))
        return prompts
    }

    @Test func aWordingWithThePropertiesPasses() throws {
        // Each example's question names something from its own answer.
        let model = try StandInModelServer { _, request in
            request.prompt.contains("checkout API") ? .stream(["Why did you decide to roll back the deploy ", "rather than add connections?"])
                                                    : .stream(["What did you argue ", "about in the schema?"])
        }
        defer { model.stop() }
        let prompts = try Self.promptsWithExamples()
        defer { try? FileManager.default.removeItem(at: prompts.deletingLastPathComponent()) }
        let output = try CommandLineEndToEndTests.run(["prompts", "test", prompts.path, "--model-url", model.url.absoluteString],
                                                      environment: ["JESTRY_MODEL_KEY": ""])
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        #expect(output.stdout.contains("PASS the model asks about the disagreement\n"))
        #expect(!output.stdout.contains("not checked"))
        // Only steps with model_output ask the model (this one and the repository's two), each with its answer; the
        // repository's content follow-up too.
        #expect(model.requests.count == 3)
        #expect(model.requests.contains { $0.prompt.contains("a decision they") && $0.prompt.contains("checkout API") })
        #expect(model.requests.contains { $0.prompt.contains("Candidate: We argued about the schema, talked it over") })
    }

    @Test func aWordingThatBreaksAPropertyFailsWithWhatTheModelSaid() throws {
        let model = try StandInModelServer { _, _ in
            .stream(["How did everyone on your team feel afterwards, and what would you change next time around?"])
        }
        defer { model.stop() }
        let prompts = try Self.promptsWithExamples()
        defer { try? FileManager.default.removeItem(at: prompts.deletingLastPathComponent()) }
        let output = try CommandLineEndToEndTests.run(["prompts", "test", prompts.path, "--model-url", model.url.absoluteString])
        #expect(output.status != 0)
        #expect(output.stdout.contains("FAIL the model asks about the disagreement"))
        #expect(output.stdout.contains("Prompts/model.tests.yaml:3:1: model_output at most 15 words: it has 16 words, more than 15: \"How did everyone"))
        #expect(output.stdout.contains("model_output mentions something from the answer: it names nothing from the answer"))
    }

    @Test func withoutAModelThePropertiesAreNotCheckedAndTheTemplatePathIs() throws {
        let prompts = try Self.promptsWithExamples()
        defer { try? FileManager.default.removeItem(at: prompts.deletingLastPathComponent()) }
        let output = try CommandLineEndToEndTests.run(["prompts", "test", prompts.path], environment: ["JESTRY_MODEL_URL": ""])
        #expect(output.status == 0, "\(output.stdout)")
        #expect(output.stdout.contains("PASS the model asks about the disagreement (model_output not checked: no model)"))
        #expect(output.stdout.contains("0 failed; model_output not checked in 3 steps (no --model-url)"))
    }
}
