import Foundation
import Interview
import Prompts
import Testing

/// Example tests that assert properties of a model's wording (`model_output:` under `expect`): parsed with
/// `file:line:col` for a malformed one, checked on the model's wording when the examples run with a model, and
/// counted as not checked without one (the template path is checked as before).
@Suite struct ModelOutputExampleTests {
    static let followUpWithModel = """
        ---
        id: follow-up.short
        kind: follow-up
        when: [too_short]
        priority: 10
        model:
          system: Ask for one specific example.
        ---
        Could you tell me more, with one specific example?
        """
    static let answer = "We argued about the schema and then shipped it."

    /// The base library, a follow-up with model instructions, and `tests` as `Prompts/model.tests.yaml`.
    static func load(_ tests: String) throws -> (PromptLibrary, Result<[PromptExample], PromptLoadFailure>) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).resolvingSymlinksInPath()
        defer { try? FileManager.default.removeItem(at: root) }
        let prompts = root.appendingPathComponent("Prompts")
        let files = BaseLibrary.with(["short.prompt": followUpWithModel, "plain.prompt": followUp(id: "follow-up.plain", when: ["no_numbers"]),
                                      "model.tests.yaml": tests])
        for (path, content) in files {
            let file = prompts.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: file)
        }
        let library = try PromptLibrary.load(directory: prompts).get()
        return (library, PromptExamples.load(directory: prompts, library: library))
    }

    static func tests(_ expect: String, followUp: String = "follow-up.short") -> String {
        """
        track: interview
        tests:
          - name: the model asks about the schema
            question: interview.first
            answer: \(answer)
            expect:
              follow_up: \(followUp)
        \(expect)
        """
    }

    static let properties = """
              model_output:
                ends_with_question_mark: true
                mentions_answer: true
                max_words: 12
                excludes: [as an AI, great answer]
        """

    static func problem(_ expect: String, followUp: String = "follow-up.short") throws -> PromptDiagnostic {
        let (_, loaded) = try Self.load(Self.tests(expect, followUp: followUp))
        guard case .failure(let failure) = loaded else {
            Issue.record("expected the examples to be refused")
            throw CancellationError()
        }
        #expect(failure.diagnostics.count == 1, "\(failure.diagnostics)")
        return try #require(failure.diagnostics.first)
    }

    @Test func propertiesAreReadFromTheExpectation() throws {
        let (_, loaded) = try Self.load(Self.tests(Self.properties))
        let step = try #require(try loaded.get().first?.steps.first)
        #expect(step.modelOutput == [ModelOutputProperty.endsWithQuestionMark, .mentionsAnswer, .maxWords(12), .excludes("as an AI"), .excludes("great answer")])
    }

    @Test func aMalformedPropertyIsReportedWhereItStands() throws {
        let count = try Self.problem("      model_output: {max_words: lots}")
        #expect(count.location == "Prompts/model.tests.yaml:8:33")
        #expect(count.message == "\"max_words\" must be a whole number from 1 to 200")
        let flag = try Self.problem("      model_output:\n        ends_with_question_mark: false")
        #expect(flag.location == "Prompts/model.tests.yaml:9:34")
        #expect(flag.message.contains("can only be true"))
        let typo = try Self.problem("      model_output:\n        max_word: 10")
        #expect(typo.location == "Prompts/model.tests.yaml:9:9")
        #expect(typo.message.contains("unknown field \"max_word\""))
        let empty = try Self.problem("      model_output: {excludes: [\" \"]}")
        #expect(empty.message == "an excluded phrase cannot be empty")
    }

    @Test func propertiesNeedAFollowUpAModelWords() throws {
        let none = try Self.problem(Self.properties, followUp: "none")
        #expect(none.location == "Prompts/model.tests.yaml:9:9")
        #expect(none.message.contains("with follow_up: none there is no follow-up for a model to word"))
        let plain = try Self.problem(Self.properties, followUp: "follow-up.plain")
        #expect(plain.message.contains("\"follow-up.plain\" has no model: instructions"))
    }

    @Test func withoutAModelTheTemplatePathIsCheckedAndThePropertiesAreCountedAsNotChecked() throws {
        let (library, loaded) = try Self.load(Self.tests(Self.properties))
        let result = try #require(PromptExamples.run(try loaded.get(), library: library).first)
        #expect(result.passed)
        #expect(result.modelOutputSkipped == 1)
        #expect(result.description == "PASS the model asks about the schema (model_output not checked: no model)")
    }

    @Test func withAModelTheWordingIsCheckedAndEachBrokenPropertyIsNamed() throws {
        let (library, loaded) = try Self.load(Self.tests(Self.properties))
        let examples = try loaded.get()
        let asked = Asked()
        let good = PromptExamples.run(examples, library: library, model: { request in
            asked.append(request)
            return .success("What was the schema you argued about?")
        })
        #expect(good.first?.passed == true)
        #expect(good.first?.modelOutputSkipped == 0)
        let request = try #require(asked.requests.first)
        #expect(request.template.id == "follow-up.short")
        #expect(request.prompt.system == "Ask for one specific example.")
        #expect(request.conversation == [ConversationTurn(question: "Tell me about a time you worked in a team.", answer: Self.answer)])
        #expect(request.maxWords == 45)

        let bad = try #require(PromptExamples.run(examples, library: library, model: { _ in
            .success("As an AI I wonder how everyone on the team felt about all of it in the end.")
        }).first)
        #expect(!bad.passed)
        let messages = bad.failures.map(\.message)
        #expect(messages.count == 4)
        #expect(messages.contains { $0.hasPrefix("model_output ends with a question mark: it does not end with a question mark") })
        #expect(messages.contains { $0.hasPrefix("model_output mentions something from the answer: it names nothing from the answer") })
        #expect(messages.contains { $0.hasPrefix("model_output at most 12 words: it has 18 words, more than 12") })
        #expect(messages.contains { $0.hasPrefix("model_output does not contain \"as an AI\": it contains \"as an AI\"") })
        #expect(bad.failures.allSatisfy { $0.file == "Prompts/model.tests.yaml" && $0.line == 3 })
        #expect(messages.allSatisfy { $0.hasSuffix(": \"As an AI I wonder how everyone on the team felt about all of it in the end.\"") })

        let failed = try #require(PromptExamples.run(examples, library: library, model: { _ in
            .failure(ModelWordingFailure("the model call failed (status 500)"))
        }).first)
        #expect(failed.failures.map(\.message) == ["model_output: the model call failed (status 500); a session would ask the template's text instead"])
    }

    final class Asked: @unchecked Sendable {
        private let lock = NSLock()
        private var all: [FollowUpWordingRequest] = []
        func append(_ request: FollowUpWordingRequest) { lock.withLock { all.append(request) } }
        var requests: [FollowUpWordingRequest] { lock.withLock { all } }
    }
}
