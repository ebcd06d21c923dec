import Testing
import Prompts

/// Mistakes that only show when files are read together: tracks, ids and the templates they name.
@Suite struct CrossReferenceErrorTests {
    /// The base question without `track:`, so a broken track file causes no second error about it.
    static let trackless = question(id: "interview.first", track: nil)
    @Test func trackNamingAMissingQuestionPointsAtThatEntry() throws {
        let problem = try onlyProblem(BaseLibrary.with([BaseLibrary.trackFile: """
            id: interview
            title: Interview
            questions:
              - interview.first
              - interview.missing
            """]))
        #expect(problem.file == "Prompts/interview.track.yaml")
        #expect(problem.line == 5)
        #expect(problem.message.contains("question 2 names \"interview.missing\""))
    }

    @Test func trackNamingAFollowUpPointsAtThatEntry() throws {
        let problem = try onlyProblem(BaseLibrary.with([
            BaseLibrary.trackFile: """
                id: interview
                title: Interview
                questions: [interview.first,
                            follow-up.numbers]
                """,
            "numbers.prompt": followUp(id: "follow-up.numbers", when: ["no_numbers"]),
        ]))
        #expect(problem.file == "Prompts/interview.track.yaml")
        #expect(problem.line == 4)
        #expect(problem.message.contains("\"follow-up.numbers\" is a follow-up template, not a question"))
    }

    @Test func duplicateTemplateIdPointsAtTheSecondId() throws {
        let problem = try onlyProblem(BaseLibrary.with(["questions/second.prompt": """
            ---
            kind: question
            id: interview.first
            ---
            Another question.
            """]))
        #expect(problem.location == "Prompts/questions/second.prompt:3:5")
        #expect(problem.message.contains("already used by Prompts/questions/first.prompt"))
    }

    @Test func duplicateTrackIdPointsAtTheSecondId() throws {
        let problem = try onlyProblem(BaseLibrary.with(["second.track.yaml": """
            title: Same id again
            id: interview
            questions: [interview.first]
            """]))
        #expect(problem.location == "Prompts/second.track.yaml:2:5")
        #expect(problem.message.contains("already used by Prompts/interview.track.yaml"))
    }

    @Test func templateTrackNamingNoTrackPointsAtTheTrackField() throws {
        let problem = try onlyProblem(BaseLibrary.with(["stray.prompt": """
            ---
            id: stray
            kind: question
            track: nowhere
            ---
            Tell me.
            """]))
        #expect(problem.location == "Prompts/stray.prompt:4:8")
        #expect(problem.message.contains("\"track: nowhere\" names a track that does not exist (tracks: interview)"))
    }

    @Test func unknownTrackFieldPointsAtItsKey() throws {
        let problem = try onlyProblem(BaseLibrary.with([
            BaseLibrary.questionFile: Self.trackless,
            BaseLibrary.trackFile: """
                id: interview
                title: Interview
                questions: [interview.first]
                max_followups: 3
                """,
        ]))
        #expect(problem.location == "Prompts/interview.track.yaml:4:1")
    }

    @Test func outOfRangeTrackSettingPointsAtItsValue() throws {
        let problem = try onlyProblem(BaseLibrary.with([
            BaseLibrary.questionFile: Self.trackless,
            BaseLibrary.trackFile: """
                id: interview
                title: Interview
                questions: [interview.first]
                max_follow_ups: 9
                """,
        ]))
        #expect(problem.location == "Prompts/interview.track.yaml:4:17")
    }

    @Test func trackListingAnotherTracksQuestionPointsAtThatEntry() throws {
        let problem = try onlyProblem(BaseLibrary.with([
            "other.track.yaml": track(id: "other", questions: ["other.only"]),
            "other.prompt": question(id: "other.only", track: "other"),
            BaseLibrary.trackFile: track(id: "interview", questions: ["interview.first", "other.only"]),
        ]))
        #expect(problem.file == "Prompts/interview.track.yaml")
        #expect(problem.line == 5)
        #expect(problem.message.contains("belongs to track \"other\""))
    }

    @Test func missingPartialPointsAtItsTag() throws {
        let problem = try onlyProblem(BaseLibrary.with(["intro.prompt": """
            ---
            id: intro
            kind: question
            ---
            Welcome.
              {{> greeting}} Tell me about yourself.
            """]))
        #expect(problem.location == "Prompts/intro.prompt:6:3")
        #expect(problem.message.contains("the partial \"greeting\" does not exist"))
    }

    @Test func partialUsingAnUndeclaredInputPointsAtTheInclude() throws {
        let problem = try onlyProblem(BaseLibrary.with([
            "partials/about.prompt": "---\nid: about\nkind: partial\n---\nabout {{topic}}\n",
            "intro.prompt": "---\nid: intro\nkind: question\n---\nTell me {{> about}}.\n",
        ]))
        #expect(problem.location == "Prompts/intro.prompt:5:9")
        #expect(problem.message.contains("uses \"topic\""))
    }

    /// A topic no question has is likely a typo; the error points at that entry of `topics`.
    @Test func followUpTopicNoQuestionHasPointsAtThatTopic() throws {
        let problem = try onlyProblem(BaseLibrary.with(["orphan.prompt": """
            ---
            id: follow-up.orphan
            kind: follow-up
            when: [no_numbers]
            topics: [teamwork, negotiation]
            ---
            How much did you negotiate?
            """]))
        #expect(problem.location == "Prompts/orphan.prompt:5:20")
        #expect(problem.message.contains("has the topic \"negotiation\""))
    }

    @Test func followUpForTracksWithoutFollowUpsIsAnError() throws {
        let problems = try loadProblems(BaseLibrary.with([
            BaseLibrary.trackFile: track(id: "interview", questions: ["interview.first"], maxFollowUps: 0),
            "numbers.prompt": followUp(id: "follow-up.numbers", when: ["no_numbers"]),
        ]))
        #expect(problems.map(\.file) == ["Prompts/numbers.prompt"])
        #expect(problems.first?.message.contains("max_follow_ups: 0") == true)
    }

    @Test func emptyFolderIsAnError() throws {
        let problems = try loadProblems([:])
        #expect(problems.count == 1)
        #expect(problems.first?.message.contains("no .prompt or .track.yaml files") == true)
    }

    /// Authors fix everything in one go: every broken file and every bad reference is in the one failure.
    @Test func allProblemsAreReportedTogether() throws {
        let problems = try loadProblems(BaseLibrary.with([
            BaseLibrary.trackFile: track(id: "interview", questions: ["interview.first", "interview.gone"]),
            "a.prompt": "---\nid: a\nkind: questoin\n---\nTell me.\n",
            "b.prompt": "---\nid: b\nkind: question\nbogus: 1\n---\nTell me.\n",
            "c.prompt": "---\nid: c\nkind: question\n---\nTell me about {{topic}}.\n",
            "d.prompt": "---\nid: d\nkind: question\ntrack: elsewhere\n---\nTell me.\n",
        ]))
        #expect(problems.count == 5, "\(problems)")
        #expect(Set(problems.map(\.file)) == ["Prompts/a.prompt", "Prompts/b.prompt", "Prompts/c.prompt",
                                               "Prompts/d.prompt", "Prompts/interview.track.yaml"])
    }

    @Test func failureDescriptionListsOneProblemPerLine() throws {
        let result = try loadPrompts(BaseLibrary.with([
            "a.prompt": "---\nid: a\nkind: questoin\n---\nTell me.\n",
            "b.prompt": "---\nid: b\nkind: question\nbogus: 1\n---\nTell me.\n",
        ]))
        guard case .failure(let failure) = result else {
            Issue.record("expected a failure")
            return
        }
        let lines = failure.description.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("Prompts/a.prompt:3:7: unknown kind") == true)
    }
}
