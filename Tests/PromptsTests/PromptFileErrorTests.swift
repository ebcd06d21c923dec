import Testing
import Prompts

/// Mistakes inside one `.prompt` file: each must point at the exact `file:line:col`.
@Suite struct PromptFileErrorTests {
    @Test func brokenYAMLInTheHeaderPointsAtTheYAMLError() throws {
        let problem = try onlyProblem(BaseLibrary.with(["broken.prompt": """
            ---
            id: broken
            kind: question
            topic: a: b
            ---
            Tell me.
            """]))
        #expect(problem.location == "Prompts/broken.prompt:4:9")
        #expect(problem.message.hasPrefix("YAML error"))
    }

    @Test func aFileNotStartingWithDashesPointsAtTheFirstLine() throws {
        let problem = try onlyProblem(BaseLibrary.with(["no-header.prompt": "id: x\nkind: question\n---\nTell me.\n"]))
        #expect(problem.location == "Prompts/no-header.prompt:1:1")
    }

    /// The header is never closed, so the error points at the end of the file, where the `---` belongs: its last
    /// line, not one past it (the file ends with a newline, as editors write it).
    @Test func missingClosingDashesPointsAtTheLastLine() throws {
        let problem = try onlyProblem(BaseLibrary.with(["open.prompt": """
            ---
            id: open
            kind: question
            Tell me about a time.

            """]))
        #expect(problem.location == "Prompts/open.prompt:4:1")
        #expect(problem.message.contains("never closed"))
    }

    @Test func unknownFieldPointsAtItsKey() throws {
        let problem = try onlyProblem(BaseLibrary.with(["typo.prompt": """
            ---
            id: typo
            kind: question
            topik: teamwork
            ---
            Tell me.
            """]))
        #expect(problem.location == "Prompts/typo.prompt:4:1")
        #expect(problem.message.contains("unknown field \"topik\""))
    }

    @Test func unknownKindPointsAtItsValue() throws {
        let problem = try onlyProblem(BaseLibrary.with(["kind.prompt": """
            ---
            id: kind
            kind: questoin
            ---
            Tell me.
            """]))
        #expect(problem.location == "Prompts/kind.prompt:3:7")
        #expect(problem.message.contains("unknown kind \"questoin\""))
    }

    @Test func unknownConditionPointsAtThatListEntry() throws {
        let problem = try onlyProblem(BaseLibrary.with(["when.prompt": """
            ---
            id: follow-up.when
            kind: follow-up
            when: [no_numbers, no_outcome]
            ---
            Any numbers?
            """]))
        #expect(problem.location == "Prompts/when.prompt:4:20")
        #expect(problem.message.contains("unknown condition \"no_outcome\""))
    }

    /// A missing field has no place of its own; like every missing field it points at the start of the header.
    @Test func followUpWithoutWhenPointsAtTheHeader() throws {
        let problem = try onlyProblem(BaseLibrary.with(["bare.prompt": """
            ---
            id: follow-up.bare
            kind: follow-up
            ---
            Tell me more.
            """]))
        #expect(problem.location == "Prompts/bare.prompt:1:1")
        #expect(problem.message.contains("\"when\""))
    }

    @Test func conditionsOnAQuestionPointAtWhen() throws {
        let problem = try onlyProblem(BaseLibrary.with(["q.prompt": """
            ---
            id: q
            kind: question
            when: [no_numbers]
            ---
            Tell me.
            """]))
        #expect(problem.location == "Prompts/q.prompt:4:7")
    }

    @Test func undeclaredBodyVariablePointsAtItsBraces() throws {
        let problem = try onlyProblem(BaseLibrary.with(["vars.prompt": """
            ---
            id: vars
            kind: question
            inputs:
              topic: {required: true}
            ---
            Tell me about {{topic}}.
            And then,  {{ track_title }} again.
            """]))
        #expect(problem.location == "Prompts/vars.prompt:8:12")
        #expect(problem.message.contains("\"track_title\" is not a declared input; add it under \"inputs\""))
    }

    @Test func everyUndeclaredVariableIsReportedWithItsPosition() throws {
        let problems = try loadProblems(BaseLibrary.with(["vars.prompt": """
            ---
            id: vars
            kind: question
            ---
            {{salary}} and {{#topic}}x{{/topic}}
            """]))
        #expect(problems.map(\.location) == ["Prompts/vars.prompt:5:1", "Prompts/vars.prompt:5:16"])
        #expect(problems.first?.message.contains("add it under") == false, "salary is nothing the engine offers")
    }

    /// Blank lines between the header and the text are not part of the body, but they still count as lines.
    @Test func bodyPositionsCountBlankLinesAfterTheHeader() throws {
        let problem = try onlyProblem(BaseLibrary.with(["spaced.prompt": """
            ---
            id: spaced
            kind: question
            ---

            Tell me about {{topic}}.
            """]))
        #expect(problem.location == "Prompts/spaced.prompt:6:15")
    }

    @Test func inputTheEngineDoesNotOfferPointsAtItsName() throws {
        let problem = try onlyProblem(BaseLibrary.with(["salary.prompt": """
            ---
            id: salary
            kind: question
            inputs:
              topic: {required: true}
              salary: {required: true}
            ---
            Tell me about {{topic}}.
            """]))
        #expect(problem.location == "Prompts/salary.prompt:6:3")
        #expect(problem.message.contains("no input \"salary\""))
    }

    /// The engine offers `question` to follow-ups only: a main question has no question before it.
    @Test func inputNotOfferedToThisKindPointsAtItsName() throws {
        let problem = try onlyProblem(BaseLibrary.with(["q.prompt": """
            ---
            id: q
            kind: question
            inputs:
              question: {required: true}
            ---
            Again: {{question}}
            """]))
        #expect(problem.location == "Prompts/q.prompt:5:3")
    }

    @Test func contradictoryConditionsPointAtTheSecond() throws {
        let problem = try onlyProblem(BaseLibrary.with(["never.prompt": """
            ---
            id: follow-up.never
            kind: follow-up
            when: [too_short, no_numbers, too_long]
            ---
            Never asked.
            """]))
        #expect(problem.location == "Prompts/never.prompt:4:31")
        #expect(problem.message.contains("never hold together"))
    }

    /// Points at the name in `{{/track_title}}` that closes the wrong section.
    @Test func mustacheSyntaxErrorPointsInsideTheFile() throws {
        let problem = try onlyProblem(BaseLibrary.with(["syntax.prompt": """
            ---
            id: syntax
            kind: question
            inputs:
              topic: {required: true}
              track_title: {required: true}
            ---
            First line.
            About {{#topic}}the {{topic}}{{/track_title}}.
            """]))
        #expect(problem.location == "Prompts/syntax.prompt:9:33")
        #expect(problem.message.hasPrefix("template syntax error"))
    }

    /// On the body's first line the engine's hidden pragma must not shift the column.
    @Test func mustacheSyntaxErrorOnTheFirstBodyLine() throws {
        let problem = try onlyProblem(BaseLibrary.with(["syntax.prompt": """
            ---
            id: syntax
            kind: question
            inputs:
              topic: {required: true}
            ---
            About {{#topic}}the topic.
            """]))
        #expect(problem.file == "Prompts/syntax.prompt")
        #expect(problem.line == 7)
        #expect(problem.message.contains("never closed"))
    }

    @Test func undeclaredVariableInModelTextPointsIntoTheHeader() throws {
        let problem = try onlyProblem(BaseLibrary.with(["m.prompt": """
            ---
            id: m
            kind: question
            model:
              user: Ask about {{salary}}.
            ---
            Tell me.
            """]))
        #expect(problem.location == "Prompts/m.prompt:5:19")
    }

    /// YAML strips a block's indentation from its text; positions must put it back on every line of the block.
    @Test func undeclaredVariableInAModelBlockPointsAtItsLineAndColumn() throws {
        let problems = try loadProblems(BaseLibrary.with(["m.prompt": """
            ---
            id: m
            kind: question
            model:
              system: |
                Be kind {{first}}.
                Ask about {{second}}.
            ---
            Tell me.
            """]))
        #expect(problems.map(\.location) == ["Prompts/m.prompt:6:13", "Prompts/m.prompt:7:15"])
    }

    @Test func emptyBodyPointsAtWhereTheBodyStarts() throws {
        let problem = try onlyProblem(BaseLibrary.with(["empty.prompt": "---\nid: empty\nkind: question\n---\n"]))
        #expect(problem.location == "Prompts/empty.prompt:5:1")
    }

    @Test func badIdentifierPointsAtTheId() throws {
        let problem = try onlyProblem(BaseLibrary.with(["upper.prompt": "---\nid: Upper.Case\nkind: question\n---\nHi.\n"]))
        #expect(problem.location == "Prompts/upper.prompt:2:5")
    }
}
