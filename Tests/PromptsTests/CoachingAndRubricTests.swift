import Foundation
import Interview
import Prompts
import Testing

@Suite struct CoachingAndRubricTests {
    static func tip(_ id: String, when: String, priority: Int, text: String, inputs: String = "") -> String {
        "---\nid: \(id)\nkind: coaching-tip\nwhen: [\(when)]\npriority: \(priority)\n\(inputs)---\n\(text)\n"
    }

    static let rubric = """
        ---
        id: rubric.strict
        kind: rubric
        weights: {structure: 1, specificity: 0, relevance: 0, concision: 0, delivery: 0}
        strengths: {structure: S1, specificity: S2, relevance: S3, concision: S4, delivery: S5}
        improvements: {structure: I1, specificity: I2, relevance: I3, concision: I4, delivery: I5}
        ---
        Structure is all that counts.
        """

    func measures(wpm: Int? = nil, elapsedMs: Int64 = 10_000, text: String = "", clipping: Bool = false) -> LiveMeasures {
        LiveMeasures(mode: .voice, elapsedMs: elapsedMs, targetMs: 60_000, timeLimitMs: 120_000,
                     analysis: AnswerAnalyzer.analyze(text), wordsPerMinute: wpm, speakingMs: 0, longPauses: 0, clipping: clipping)
    }

    @Test func conditionsReadTheLiveMeasures() {
        #expect(CoachingCondition.paceFast.holds(in: measures(wpm: 200)))
        #expect(!CoachingCondition.paceFast.holds(in: measures(wpm: 150)))
        #expect(CoachingCondition.paceSlow.holds(in: measures(wpm: 90)))
        #expect(!CoachingCondition.paceSlow.holds(in: measures(wpm: nil)))
        #expect(CoachingCondition.overTarget.holds(in: measures(elapsedMs: 61_000)))
        #expect(CoachingCondition.nearTimeLimit.holds(in: measures(elapsedMs: 101_000)))
        #expect(!CoachingCondition.nearTimeLimit.holds(in: measures(elapsedMs: 90_000)))
        #expect(CoachingCondition.halfwayNoResult.holds(in: measures(elapsedMs: 30_000, text: "I started")))
        #expect(!CoachingCondition.halfwayNoResult.holds(in: measures(elapsedMs: 20_000, text: "I started")))
        #expect(CoachingCondition.clipping.holds(in: measures(clipping: true)))
        #expect(CoachingCondition.manyHedges.holds(in: measures(text: "maybe it sort of worked, I guess")))
    }

    @Test func theHighestPriorityTipThatHoldsIsShown() throws {
        let library = try validLibrary(BaseLibrary.with([
            "fast.prompt": Self.tip("tip.fast", when: "pace_fast", priority: 10,
                                    text: "Slow down from {{words_per_minute}}.", inputs: "inputs:\n  words_per_minute: {required: true}\n"),
            "clip.prompt": Self.tip("tip.clip", when: "clipping", priority: 50, text: "Move back from the mic."),
        ]))
        let plan = try #require(library.plan(forTrack: "interview"))
        #expect(plan.coachingTip(for: measures(wpm: 210)) == CoachingTip(id: "tip.fast", text: "Slow down from 210."))
        #expect(plan.coachingTip(for: measures(wpm: 210, clipping: true))?.id == "tip.clip")
        #expect(plan.coachingTip(for: measures(wpm: 150)) == nil)
    }

    @Test func unknownCoachingConditionsArePositioned() throws {
        let problems = try loadProblems(BaseLibrary.with(["bad.prompt": Self.tip("tip.bad", when: "talking_fast", priority: 1, text: "x")]))
        #expect(problems.map(\.description) == [
            "Prompts/bad.prompt:4:8: unknown coaching condition \"talking_fast\"; known: \(CoachingCondition.allCases.map(\.rawValue).joined(separator: ", "))",
        ])
    }

    @Test func aTrackScoresWithItsRubric() throws {
        var files = BaseLibrary.with(["rubric.prompt": Self.rubric])
        files[BaseLibrary.trackFile] = "id: interview\ntitle: Interview\nquestions: [interview.first]\nrubric: rubric.strict\n"
        let plan = try #require(try validLibrary(files).plan(forTrack: "interview"))
        #expect(plan.rubric.template.id == "rubric.strict")
        #expect(plan.rubric.rubric.weights[.structure] == 1)
        #expect(plan.rubric.rubric.improvements[.delivery] == "I5")
    }

    @Test func rubricMistakesArePositioned() throws {
        let missing = Self.rubric.replacingOccurrences(of: ", delivery: I5", with: "")
        let problems = try loadProblems(BaseLibrary.with(["rubric.prompt": missing]))
        #expect(problems.first?.description == "Prompts/rubric.prompt:6:15: \"improvements\" has no entry for delivery")
        let typo = Self.rubric.replacingOccurrences(of: "structure: 1,", with: "structur: 1,")
        #expect(try loadProblems(BaseLibrary.with(["rubric.prompt": typo])).first?.message.hasPrefix("unknown criterion") == true)
    }

    @Test func aTrackNamingNoRubricUsesTheStandardOne() throws {
        let plan = try #require(try validLibrary(BaseLibrary.files).plan(forTrack: "interview"))
        #expect(plan.rubric.rubric == Rubric.standard)
    }

    @Test func theRepositoryTracksHaveRubricsAndTips() throws {
        let library = try PromptLibrary.load(directory: RepositoryExamplesTests.prompts).get()
        for track in library.sortedTracks {
            #expect(library.plan(forTrack: track.id)?.rubric.template.id == "rubric.\(track.id)")
        }
        #expect(library.templates(of: .coachingTip).count >= 8)
    }
}
