import Testing
import Interview
import Prompts

/// Prompts are plain text: values go in exactly as given.
@Suite struct TemplateRenderingTests {
    static let markup = "<b>& \"quoted\" 'single'</b>"

    static func template(inputs: String, body: String) throws -> PromptTemplate {
        let library = try validLibrary(BaseLibrary.with(["t.prompt": "---\nid: t\nkind: question\ninputs:\n\(inputs)\n---\n\(body)\n"]))
        return try #require(library.templates["t"])
    }

    @Test func valuesAreNotHTMLEscaped() throws {
        let template = try Self.template(inputs: "  topic: {required: true}", body: "About {{topic}}.")
        #expect(template.render(["topic": Self.markup]) == "About \(Self.markup).")
    }

    @Test func tripleAndAmpersandTagsRenderTheSame() throws {
        let template = try Self.template(inputs: "  topic: {required: true}", body: "{{topic}}|{{{topic}}}|{{& topic}}")
        #expect(template.render(["topic": "<b>&"]) == "<b>&|<b>&|<b>&")
    }

    @Test func defaultIsUsedOnlyWhenNoValueIsGiven() throws {
        let template = try Self.template(inputs: "  topic: {default: your work}", body: "About {{topic}}.")
        #expect(template.render([:]) == "About your work.")
        #expect(template.render(["topic": "testing"]) == "About testing.")
        #expect(template.inputs.map(\.name) == ["topic"])
        #expect(template.inputs.first?.required == false)
        #expect(template.inputs.first?.defaultValue == "your work")
    }

    @Test func undeclaredValuesAreIgnored() throws {
        let template = try Self.template(inputs: "  topic: {required: true}", body: "About {{topic}}.")
        #expect(template.render(["topic": "x", "question": "ignored"]) == "About x.")
    }

    @Test func followUpRendersTheEngineValuesUnescaped() throws {
        let library = try validLibrary(BaseLibrary.with([
            "f.prompt": followUp(id: "follow-up.repeat", when: ["too_short"], inputs: ["question", "word_count", "topic"],
                                 body: "Only {{word_count}} words on {{topic}}. Again: {{question}}"),
        ]))
        let plan = try #require(library.plan(forTrack: "interview"))
        let asked = try #require(plan.followUp(for: context(answer { $0.wordCount = 7 }, topic: "R&D <team>",
                                                            questionText: Self.markup)))
        #expect(asked.text == "Only 7 words on R&D <team>. Again: \(Self.markup)")
    }

    /// A follow-up's `model:` instructions are rendered only for a session whose interviewer words follow-ups;
    /// the question is the same either way.
    @Test func modelInstructionsAreRenderedOnlyWhenTheSessionWantsThem() throws {
        let library = try validLibrary(BaseLibrary.with(["short.prompt": ModelOutputExampleTests.followUpWithModel]))
        let plan = try #require(library.plan(forTrack: "interview"))
        var short = context(answer { $0.wordCount = 7 })
        let worded = try #require(plan.followUp(for: short))
        #expect(worded.modelPrompt?.system == "Ask for one specific example.")
        short.wantsModelInstructions = false
        let plain = try #require(plan.followUp(for: short))
        #expect(plain.modelPrompt == nil)
        #expect(plain.text == worded.text && plain.template == worded.template)
    }

    @Test func mainQuestionRendersItsTopic() throws {
        let library = try validLibrary(BaseLibrary.with([
            BaseLibrary.questionFile: """
                ---
                id: interview.first
                kind: question
                topic: <conflict> & resolution
                inputs:
                  topic: {required: true}
                ---
                Tell me about {{topic}}.

                """,
        ]))
        let plan = try #require(library.plan(forTrack: "interview"))
        #expect(plan.mainQuestion(at: 0).text == "Tell me about <conflict> & resolution.")
    }
}

/// Shared fragments included with `{{> id}}`.
@Suite struct PartialRenderingTests {
    @Test func partialIsRenderedWithTheIncludersValues() throws {
        let library = try validLibrary(BaseLibrary.with([
            "partials/about.prompt": "---\nid: about\nkind: partial\n---\nabout {{topic}}\n",
            "intro.prompt": "---\nid: intro\nkind: question\ninputs:\n  topic: {required: true}\n---\nTell me {{> about}}.\n",
        ]))
        let template = try #require(library.templates["intro"])
        #expect(template.partialsUsed == ["about"])
        #expect(template.render(["topic": "<b>&"]) == "Tell me about <b>&.")
    }
}
