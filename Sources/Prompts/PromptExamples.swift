import Foundation
import Interview
import Yams

/// Example tests kept beside the prompts (`*.tests.yaml`): an answer, or a short conversation, in; the follow-up
/// the selector must pick (or `none`) and properties of its text out. Run by `jestry prompts test` and `swift test`.
public struct PromptExample: Sendable {
    public struct Step: Sendable {
        public var answer: String
        /// The follow-up template id expected, or nil for "no follow-up: move on".
        public var expectedFollowUp: String?
        /// With no follow-up from the rules: the content follow-up a model interviewer asks instead
        /// (`content_follow_up:`), or nil when none is expected.
        public var expectedContentFollowUp: String? = nil
        public var textContains: [String]
        public var textExcludes: [String]
        /// What the model's wording of the follow-up must be (`model_output:`); checked only with a model.
        public var modelOutput: [ModelOutputProperty] = []
        public var line: Int
    }

    public var name: String
    public var file: String
    public var line: Int
    public var trackID: String
    public var questionID: String
    /// Follow-ups asked earlier in the session, so fallbacks can be tested: they are never repeated.
    public var alreadyAsked: [String]
    public var steps: [Step]
}

/// The outcome of one example.
public struct PromptExampleResult: Sendable, CustomStringConvertible {
    public var example: PromptExample
    /// Empty when the example passed.
    public var failures: [PromptDiagnostic]

    /// Steps with `model_output:` that were not checked, because the examples ran without a model.
    public var modelOutputSkipped = 0

    public var passed: Bool { failures.isEmpty }

    public var description: String {
        let note = modelOutputSkipped > 0 ? " (model_output not checked: no model)" : ""
        return passed ? "PASS \(example.name)\(note)" : "FAIL \(example.name)\n" + failures.map { "  \($0)" }.joined(separator: "\n")
    }
}

public enum PromptExamples {
    /// Reads every `*.tests.yaml` under `directory`, checking ids against `library`.
    public static func load(directory: URL, library: PromptLibrary) -> Result<[PromptExample], PromptLoadFailure> {
        var examples: [PromptExample] = []
        var diagnostics: [PromptDiagnostic] = []
        let files = (FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL } ?? []).filter { $0.lastPathComponent.hasSuffix(".tests.yaml") }.sorted { $0.path < $1.path }
        for file in files {
            let display = PromptLibrary.displayPath(file, base: directory)
            do throws(PromptDiagnostic) {
                guard let text = try? String(contentsOf: file, encoding: .utf8) else {
                    throw PromptDiagnostic(file: display, line: 1, column: 1, "cannot read the file as UTF-8 text")
                }
                examples += try parse(text, path: display, library: library)
            } catch {
                diagnostics.append(error)
            }
        }
        return diagnostics.isEmpty ? .success(examples) : .failure(PromptLoadFailure(diagnostics: diagnostics))
    }

    static func parse(_ text: String, path: String, library: PromptLibrary) throws(PromptDiagnostic) -> [PromptExample] {
        let mapping = try YAMLDocument.mapping(of: text, path: path)
        let reader = FieldReader(mapping: mapping, path: path, lineOffset: 0, fallbackLine: 1)
        if let unknown = reader.unknownKeys(allowed: ["track", "tests"]).first { throw unknown }
        let trackID = try reader.string("track")!
        guard let track = library.tracks[trackID] else {
            throw reader.error(at: reader.node("track")!, "there is no track \"\(trackID)\"")
        }
        guard let tests = reader.node("tests")?.sequence, !tests.isEmpty else {
            throw PromptDiagnostic(file: path, line: 1, column: 1, "\"tests\" must be a list of examples")
        }
        var examples: [PromptExample] = []
        for test in tests {
            guard let fields = test.mapping else { throw reader.error(at: test, "each test is a mapping with name, question and answer") }
            let item = FieldReader(mapping: fields, path: path, lineOffset: 0, fallbackLine: reader.position(of: test).line)
            if let unknown = item.unknownKeys(allowed: ["name", "question", "answer", "expect", "conversation", "already_asked"]).first {
                throw unknown
            }
            let alreadyAsked = try item.strings("already_asked")
            for (id, node) in alreadyAsked where library.templates[id]?.kind != .followUp {
                throw item.error(at: node, "\"\(id)\" in already_asked is not a follow-up template")
            }
            let questionID = try item.string("question")!
            guard track.questionIDs.contains(questionID) else {
                throw item.error(at: item.node("question")!, "\"\(questionID)\" is not a question of track \"\(trackID)\"")
            }
            var steps: [PromptExample.Step] = []
            if let conversation = item.node("conversation") {
                guard let list = conversation.sequence, !list.isEmpty else {
                    throw item.error(at: conversation, "\"conversation\" is a list of {answer, expect} steps")
                }
                for step in list {
                    guard let stepFields = step.mapping else { throw item.error(at: step, "each step has an answer and an expect") }
                    if let last = steps.last, last.expectedFollowUp == nil {
                        throw item.error(at: step, "after a step that expects follow_up: none the interviewer moves on, so no step can follow it")
                    }
                    steps.append(try parseStep(FieldReader(mapping: stepFields, path: path, lineOffset: 0,
                                                           fallbackLine: item.position(of: step).line), library: library))
                }
            } else {
                steps.append(try parseStep(item, library: library, allowing: ["name", "question", "already_asked"]))
            }
            examples.append(PromptExample(name: try item.string("name")!, file: path, line: reader.position(of: test).line,
                                          trackID: trackID, questionID: questionID, alreadyAsked: alreadyAsked.map(\.0),
                                          steps: steps))
        }
        return examples
    }

    private static func parseStep(_ reader: FieldReader, library: PromptLibrary,
                                  allowing extra: Set<String> = []) throws(PromptDiagnostic) -> PromptExample.Step {
        if let unknown = reader.unknownKeys(allowed: extra.union(["answer", "expect"])).first { throw unknown }
        let answer = try reader.string("answer")!
        guard let expectNode = reader.node("expect"), let expect = expectNode.mapping else {
            throw PromptDiagnostic(file: reader.path, line: reader.fallbackLine, column: 1,
                                   "an example needs \"expect\" with at least follow_up: <template id> or follow_up: none")
        }
        let expectation = FieldReader(mapping: expect, path: reader.path, lineOffset: 0, fallbackLine: reader.position(of: expectNode).line)
        if let unknown = expectation.unknownKeys(allowed: ["follow_up", "text_contains", "text_excludes", "model_output",
                                                           "content_follow_up"]).first {
            throw unknown
        }
        let followUp = try expectation.string("follow_up")!
        if followUp != "none", library.templates[followUp]?.kind != .followUp {
            throw expectation.error(at: expectation.node("follow_up")!, "\"\(followUp)\" is not a follow-up template (or write none)")
        }
        let content = try expectation.string("content_follow_up", required: false)
        if let content, let node = expectation.node("content_follow_up") {
            guard followUp == "none" else {
                throw expectation.error(at: node, "a content follow-up is asked only when no rule fires; use it with follow_up: none")
            }
            guard library.templates[content]?.kind == .contentFollowUp else {
                throw expectation.error(at: node, "\"\(content)\" is not a content-follow-up template")
            }
            if let text = expectation.node("text_contains") ?? expectation.node("text_excludes") {
                throw expectation.error(at: text, "a content follow-up has no text of its own; check the model's words with model_output")
            }
        }
        var modelOutput: [ModelOutputProperty] = []
        if let node = expectation.node("model_output") {
            guard followUp != "none" || content != nil else {
                throw expectation.error(at: node, "with follow_up: none there is no follow-up for a model to word (name a content_follow_up to check the model's own question)")
            }
            guard library.templates[content ?? followUp]?.model != nil else {
                throw expectation.error(at: node, "\"\(followUp)\" has no model: instructions, so a model never words it")
            }
            modelOutput = try ModelOutputProperty.parse(node, in: expectation)
        }
        return PromptExample.Step(answer: answer, expectedFollowUp: followUp == "none" ? nil : followUp,
                                  expectedContentFollowUp: content,
                                  textContains: try expectation.strings("text_contains").map(\.0),
                                  textExcludes: try expectation.strings("text_excludes").map(\.0),
                                  modelOutput: modelOutput, line: reader.fallbackLine)
    }

    /// Words a follow-up with a model and checks it as the engine does: the checked text, or why there is none.
    public typealias ModelWording = @Sendable (FollowUpWordingRequest) -> Result<String, ModelWordingFailure>

    /// Plays each example through the selector, as the interviewer would during a session. With `model`, a step's
    /// `model_output:` properties are checked on the model's wording of the chosen follow-up (the conversation so
    /// far is what the model is shown); without it they are counted as not checked.
    public static func run(_ examples: [PromptExample], library: PromptLibrary, model: ModelWording? = nil,
                           maxWords: Int = 45) -> [PromptExampleResult] {
        examples.map { example in
            guard let plan = library.fullPlan(forTrack: example.trackID), let main = plan.mainQuestion(id: example.questionID) else {
                return PromptExampleResult(example: example, failures: [
                    PromptDiagnostic(file: example.file, line: example.line, column: 1, "the question is not in the track"),
                ])
            }
            var used = Set(example.alreadyAsked)
            var asked = 0
            var failures: [PromptDiagnostic] = []
            var skipped = 0
            var conversation: [ConversationTurn] = []
            var questions = [main.text]
            for step in example.steps {
                let context = FollowUpContext(mainQuestion: main, answerText: step.answer,
                                              answer: AnswerAnalyzer.analyze(step.answer), followUpsAsked: asked, usedTemplates: used,
                                              targetAnswerSeconds: plan.targetAnswerSeconds)
                let chosen = plan.followUp(for: context)
                let where_ = { (message: String) in PromptDiagnostic(file: example.file, line: step.line, column: 1, message) }
                if chosen?.template.id != step.expectedFollowUp {
                    let reasons = plan.explainFollowUp(for: context).considered
                        .map { "\($0.template.id): \($0.passedOver ?? "chosen")" }.joined(separator: "; ")
                    failures.append(where_("expected follow-up \(step.expectedFollowUp ?? "none"), got \(chosen?.template.id ?? "none") (\(reasons))"))
                }
                let text = chosen?.text ?? ""
                for phrase in step.textContains where !text.localizedCaseInsensitiveContains(phrase) {
                    failures.append(where_("the follow-up text does not contain \"\(phrase)\": \(text)"))
                }
                for phrase in step.textExcludes where text.localizedCaseInsensitiveContains(phrase) {
                    failures.append(where_("the follow-up text contains \"\(phrase)\": \(text)"))
                }
                // Where no rule fired, a model interviewer may ask the track's content follow-up instead.
                let content = chosen == nil && step.expectedContentFollowUp != nil ? plan.contentFollowUp(for: context) : nil
                if let expected = step.expectedContentFollowUp, content?.template.id != expected {
                    failures.append(where_("expected the content follow-up \(expected), got \(content?.template.id ?? "none") "
                                           + "(the track's content_follow_up: \(plan.track.contentFollowUp ?? "not set"); its conditions must "
                                           + "hold and the track's max_follow_ups leave room)"))
                }
                conversation.append(ConversationTurn(question: questions.last!, answer: step.answer))
                let worded = chosen ?? content
                if let worded, let prompt = worded.modelPrompt, !step.modelOutput.isEmpty,
                   worded.template.id == (step.expectedFollowUp ?? step.expectedContentFollowUp) {
                    if let model {
                        let request = FollowUpWordingRequest(
                            requestID: asked + 1, sessionID: "example", template: worded.template, templateText: worded.text,
                            prompt: prompt, conversation: ConversationWindow.bounded(conversation), earlierQuestions: questions,
                            language: "en", maxWords: maxWords)
                        failures += modelOutputFailures(model(request), step: step, contentFollowUp: content != nil, at: where_)
                    } else {
                        skipped += 1
                    }
                }
                guard let chosen else { break }
                used.insert(chosen.template.id)
                questions.append(chosen.text)
                asked += 1
            }
            var result = PromptExampleResult(example: example, failures: failures)
            result.modelOutputSkipped = skipped
            return result
        }
    }
}

extension PromptExamples {
    /// Each property that the model's wording breaks, with the wording, so the author sees what the model said.
    static func modelOutputFailures(_ wording: Result<String, ModelWordingFailure>, step: PromptExample.Step,
                                    contentFollowUp: Bool, at place: (String) -> PromptDiagnostic) -> [PromptDiagnostic] {
        switch wording {
        case .failure(let failure):
            let instead = contentFollowUp ? "move on to the next question" : "ask the template's text instead"
            return [place("model_output: \(failure.reason); a session would \(instead)")]
        case .success(let text):
            return step.modelOutput.compactMap { property in
                property.failure(in: text, answer: step.answer).map { place("model_output \(property): \($0): \"\(text)\"") }
            }
        }
    }
}

/// Why a model gave no wording an example could check: the call failed, or the engine's checks rejected the text.
public struct ModelWordingFailure: Error, Sendable, Equatable {
    public var reason: String

    public init(_ reason: String) { self.reason = reason }
}
