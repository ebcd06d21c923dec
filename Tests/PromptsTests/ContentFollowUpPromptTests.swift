import Foundation
import Interview
import Prompts
import Testing

/// A track's opt-in to the model's content follow-up (`content_follow_up:`) and the `content-follow-up` template it
/// names: parsed, cross-checked with `file:line:col`, and offered by the plan only when no rule fired.
@Suite struct ContentFollowUpPromptTests {
    static let content = """
        ---
        id: follow-up.deep
        kind: content-follow-up
        when: [has_result]
        inputs:
          question: {type: string, required: true}
        model:
          system: Ask about a decision or a number the candidate gave.
          user: "Main question: {{question}}"
        ---
        A note for authors; never asked.
        """

    static func files(track contentLine: String = "content_follow_up: follow-up.deep\n",
                      extra: [String: String] = ["deep.prompt": content]) -> [String: String] {
        BaseLibrary.with([BaseLibrary.trackFile: """
            id: interview
            title: Interview
            questions:
              - interview.first
            max_follow_ups: 2
            \(contentLine)
            """].merging(extra) { _, new in new })
    }

    static func context(_ answer: String, plan: TrackPlan, followUpsAsked: Int = 0) -> FollowUpContext {
        FollowUpContext(mainQuestion: plan.mainQuestion(at: 0), answerText: answer, answer: AnswerAnalyzer.analyze(answer),
                        followUpsAsked: followUpsAsked, usedTemplates: [])
    }

    @Test func aTrackThatOptsInOffersTheContentFollowUpWithItsRenderedInstructions() throws {
        let library = try validLibrary(Self.files())
        let plan = try #require(library.plan(forTrack: "interview"))
        #expect(plan.track.contentFollowUp == "follow-up.deep")
        let strong = Self.context("I rewrote the importer, and as a result imports took 4 minutes instead of 40.", plan: plan)
        let offered = try #require(plan.contentFollowUp(for: strong))
        #expect(offered.template == library.templates["follow-up.deep"]?.ref)
        #expect(offered.kind == .followUp)
        #expect(offered.modelPrompt == ModelPrompt(system: "Ask about a decision or a number the candidate gave.",
                                                   user: "Main question: Tell me about a time you worked in a team."))
        // The rules never choose it: it is not a follow-up the selector knows.
        #expect(plan.followUp(for: strong) == nil)
    }

    @Test func itsConditionsAndTheTracksLimitDecideWhetherItIsOffered() throws {
        let plan = try #require(try validLibrary(Self.files()).plan(forTrack: "interview"))
        #expect(plan.contentFollowUp(for: Self.context("I rewrote the importer.", plan: plan)) == nil)  // no result
        let strong = "I rewrote the importer, and as a result imports took 4 minutes instead of 40."
        #expect(plan.contentFollowUp(for: Self.context(strong, plan: plan, followUpsAsked: 2)) == nil)
    }

    @Test func aTrackWithoutTheKeyNeverOffersOne() throws {
        let plan = try #require(try validLibrary(Self.files(track: "")).plan(forTrack: "interview"))
        let strong = "I rewrote the importer, and as a result imports took 4 minutes instead of 40."
        #expect(plan.contentFollowUp(for: Self.context(strong, plan: plan)) == nil)
    }

    @Test func namingNoTemplatePointsAtTheValue() throws {
        let problem = try onlyProblem(Self.files(track: "content_follow_up: follow-up.deeep\n"))
        #expect(problem.location == "Prompts/interview.track.yaml:6:20")
        #expect(problem.message.contains("\"content_follow_up: follow-up.deeep\" names no template"))
        #expect(problem.message.contains("kind: content-follow-up"))
    }

    @Test func namingAnOrdinaryFollowUpPointsAtTheValue() throws {
        let problem = try onlyProblem(Self.files(track: "content_follow_up: follow-up.numbers\n",
                                                 extra: ["numbers.prompt": followUp(id: "follow-up.numbers", when: ["no_numbers"])]))
        #expect(problem.location == "Prompts/interview.track.yaml:6:20")
        #expect(problem.message.contains("\"follow-up.numbers\" is a follow-up template, not a content-follow-up"))
    }

    @Test func aContentFollowUpWithoutModelInstructionsIsRefusedAtItsKind() throws {
        let problems = try loadProblems(Self.files(track: "", extra: ["deep.prompt": """
            ---
            id: follow-up.deep
            kind: content-follow-up
            ---
            Only a model would ask this.
            """]))
        #expect(problems.map(\.location) == ["Prompts/deep.prompt:3:7"])
        #expect(problems.first?.message.contains("a content-follow-up needs \"model:\" instructions") == true)
    }

    @Test func thePreviewShowsTheContentFollowUpWhenNoRuleFires() throws {
        let library = try validLibrary(Self.files())
        let strong = "I rewrote the importer, and as a result imports took 4 minutes instead of 40."
        let report = try FollowUpPreview.report(library: library, questionID: "interview.first", answer: strong)
        #expect(report.contains("Follow-up: none by the rules"))
        #expect(report.contains("content follow-up follow-up.deep"))
        let request = try #require(FollowUpPreview.wordingRequest(library: library, questionID: "interview.first", answer: strong))
        #expect(request.template.id == "follow-up.deep")
        #expect(request.templateText.isEmpty)
        #expect(request.prompt.system == "Ask about a decision or a number the candidate gave.")
        let weak = try FollowUpPreview.report(library: library, questionID: "interview.first", answer: "I rewrote the importer.")
        #expect(weak.contains("Follow-up: none; the interviewer moves on"))
    }

    @Test func theRepositorysSoftwareEngineeringTrackOptsIn() throws {
        let library = try PromptLibrary.load(directory: RepositoryExamplesTests.prompts).get()
        let plan = try #require(library.plan(forTrack: "software-engineering"))
        let answer = """
            At my last job our checkout service fell over every Friday. My task was to find out why. I traced it to a \
            connection pool of 20, raised it to 200 and added a queue in front, and as a result we had no outage for six \
            months and checkout latency dropped by 40 percent.
            """
        let context = FollowUpContext(mainQuestion: plan.mainQuestion(at: 0), answerText: answer,
                                      answer: AnswerAnalyzer.analyze(answer), followUpsAsked: 1, usedTemplates: [])
        let offered = try #require(plan.contentFollowUp(for: context))
        #expect(offered.template.id == "follow-up.content")
        #expect(offered.modelPrompt?.system?.contains("a decision they") == true)
    }
}

/// Example tests for the content follow-up: `content_follow_up:` beside `follow_up: none` says a model interviewer
/// asks its own question here; `model_output:` then checks that question when run with a model.
@Suite struct ContentFollowUpExampleTests {
    static let strong = "I rewrote the importer, and as a result imports took 4 minutes instead of 40."

    static func load(_ expect: String, answer: String = strong) throws -> (PromptLibrary, Result<[PromptExample], PromptLoadFailure>) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).resolvingSymlinksInPath()
        defer { try? FileManager.default.removeItem(at: root) }
        let prompts = root.appendingPathComponent("Prompts")
        var files = ContentFollowUpPromptTests.files()
        files["content.tests.yaml"] = """
            track: interview
            tests:
              - name: the model asks about the importer
                question: interview.first
                answer: \(answer)
                expect:
            \(expect)
            """
        for (path, content) in files {
            let file = prompts.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: file)
        }
        let library = try PromptLibrary.load(directory: prompts).get()
        return (library, PromptExamples.load(directory: prompts, library: library))
    }

    static let expectation = """
              follow_up: none
              content_follow_up: follow-up.deep
              model_output: {mentions_answer: true}
        """

    @Test func theTemplatePathChecksThatTheTrackOffersItAndTheModelPathChecksItsQuestion() throws {
        let (library, loaded) = try Self.load(Self.expectation)
        let examples = try loaded.get()
        let plain = try #require(PromptExamples.run(examples, library: library).first)
        #expect(plain.passed, "\(plain)")
        #expect(plain.modelOutputSkipped == 1)
        let asked = ModelOutputExampleTests.Asked()
        let worded = try #require(PromptExamples.run(examples, library: library, model: { request in
            asked.append(request)
            return .success("How did you cut the imports from 40 minutes to 4?")
        }).first)
        #expect(worded.passed, "\(worded)")
        #expect(asked.requests.map(\.template.id) == ["follow-up.deep"])
        #expect(asked.requests.first?.templateText == "")
        let failed = try #require(PromptExamples.run(examples, library: library, model: { _ in
            .failure(ModelWordingFailure("the model call failed (status 500)"))
        }).first)
        #expect(failed.failures.map(\.message) == ["model_output: the model call failed (status 500); a session would move on to the next question"])
    }

    @Test func anAnswerWhereTheTrackOffersNoneFailsWithWhy() throws {
        let (library, loaded) = try Self.load(Self.expectation, answer: "I rewrote the importer.")
        let result = try #require(PromptExamples.run(try loaded.get(), library: library).first)
        #expect(result.failures.map(\.message).contains { $0.hasPrefix("expected the content follow-up follow-up.deep, got none") })
    }

    @Test func aContentFollowUpExpectationIsCheckedWhereItStands() throws {
        let withRule = try Self.load("          follow_up: follow-up.numbers\n          content_follow_up: follow-up.deep").1
        #expect(throws: PromptLoadFailure.self) { try withRule.get() }
        let wrongKind = try Self.load("          follow_up: none\n          content_follow_up: interview.first").1
        guard case .failure(let failure) = wrongKind else { Issue.record("expected a problem"); return }
        #expect(failure.diagnostics.map(\.location) == ["Prompts/content.tests.yaml:8:30"])
        #expect(failure.diagnostics.first?.message == "\"interview.first\" is not a content-follow-up template")
        let withText = try Self.load("          follow_up: none\n          content_follow_up: follow-up.deep\n          text_contains: [importer]").1
        guard case .failure(let textFailure) = withText else { Issue.record("expected a problem"); return }
        #expect(textFailure.diagnostics.first?.message.contains("has no text of its own") == true)
    }
}
