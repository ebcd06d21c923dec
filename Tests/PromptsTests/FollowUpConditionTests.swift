import Testing
import Interview
import Prompts

@Suite struct FollowUpConditionTests {
    static func holding(_ context: FollowUpContext) -> Set<FollowUpCondition> {
        Set(FollowUpCondition.allCases.filter { $0.holds(in: context) })
    }

    @Test func completeFirstAnswerHoldsOnlyThePositiveConditions() {
        #expect(Self.holding(context()) == [.hasNumbers, .hasSituation, .hasTask, .hasAction, .hasResult, .firstFollowUp])
    }

    @Test func numbers() {
        #expect(Self.holding(context(answer { $0.mentionsNumbers = false })).isSuperset(of: [.noNumbers]))
        #expect(!FollowUpCondition.hasNumbers.holds(in: context(answer { $0.mentionsNumbers = false })))
        #expect(!FollowUpCondition.noNumbers.holds(in: context()))
    }

    @Test(arguments: [
        (FollowUpCondition.missingSituation, FollowUpCondition.hasSituation, AnswerAnalysis.StarPart.situation),
        (.missingTask, .hasTask, .task),
        (.missingAction, .hasAction, .action),
        (.missingResult, .hasResult, .result),
    ])
    func starPart(missing: FollowUpCondition, has: FollowUpCondition, part: AnswerAnalysis.StarPart) {
        let without = context(answer { $0.starParts.remove(part) })
        #expect(missing.holds(in: without))
        #expect(!has.holds(in: without))
        #expect(!missing.holds(in: context()))
        #expect(has.holds(in: context()))
        #expect(Self.holding(without).subtracting(Self.holding(context())) == [missing], "only its own condition changes")
    }

    @Test func tooShortBelowFortyWords() {
        #expect(FollowUpCondition.tooShort.holds(in: context(answer { $0.wordCount = 39 })))
        #expect(!FollowUpCondition.tooShort.holds(in: context(answer { $0.wordCount = 40 })))
        #expect(FollowUpCondition.tooShort.holds(in: context(answer { $0.wordCount = 0 })))
    }

    /// Too long is relative to the track's target: three words per second of it.
    @Test func tooLongAboveThreeWordsPerTargetSecond() {
        #expect(AnswerThresholds.longAboveWords(targetSeconds: 120) == 360)
        #expect(FollowUpCondition.tooLong.holds(in: context(answer { $0.wordCount = 361 }, targetSeconds: 120)))
        #expect(!FollowUpCondition.tooLong.holds(in: context(answer { $0.wordCount = 360 }, targetSeconds: 120)))
        #expect(FollowUpCondition.tooLong.holds(in: context(answer { $0.wordCount = 181 }, targetSeconds: 60)))
        #expect(!FollowUpCondition.tooLong.holds(in: context(answer { $0.wordCount = 181 }, targetSeconds: 90)))
    }

    @Test func manyFillersAboveFivePerHundredWords() {
        let five = answer { $0.wordCount = 100; $0.fillers = ["um": 3, "uh": 2] }
        let six = answer { $0.wordCount = 100; $0.fillers = ["um": 3, "uh": 2, "like": 1] }
        #expect(!FollowUpCondition.manyFillers.holds(in: context(five)))
        #expect(FollowUpCondition.manyFillers.holds(in: context(six)))
    }

    @Test func weWithoutI() {
        #expect(FollowUpCondition.weWithoutI.holds(in: context(answer { $0.firstPersonSingular = 0; $0.firstPersonPlural = 3 })))
        #expect(!FollowUpCondition.weWithoutI.holds(in: context(answer { $0.firstPersonSingular = 1; $0.firstPersonPlural = 3 })))
        #expect(!FollowUpCondition.weWithoutI.holds(in: context(answer { $0.firstPersonSingular = 0; $0.firstPersonPlural = 0 })))
    }

    @Test func firstAndLaterFollowUp() {
        #expect(Self.holding(context(followUpsAsked: 0)).intersection([.firstFollowUp, .laterFollowUp]) == [.firstFollowUp])
        #expect(Self.holding(context(followUpsAsked: 1)).intersection([.firstFollowUp, .laterFollowUp]) == [.laterFollowUp])
        #expect(Self.holding(context(followUpsAsked: 3)).intersection([.firstFollowUp, .laterFollowUp]) == [.laterFollowUp])
    }

    /// Each declared contradiction really never holds together, for answers the analyzer reads.
    @Test func contradictionsNeverHoldTogether() {
        let texts = [
            "", "Um.", "We fixed it.", "We migrated the service and we cut latency by 40% in 3 weeks.",
            "When our release slipped, my job was to ship it. I re-planned the work and I shipped two days early.",
            String(repeating: "we worked on it together and the team delivered it ", count: 40),
        ]
        let answers = texts.map { AnswerAnalyzer.analyze($0) } + [completeAnswer, AnswerAnalysis()]
        for analysis in answers {
            for asked in 0...2 {
                let held = Self.holding(context(analysis, followUpsAsked: asked))
                for (first, second) in FollowUpCondition.contradictions {
                    #expect(!(held.contains(first) && held.contains(second)), "\(first) and \(second)")
                }
            }
        }
    }

    @Test func conditionNamesMatchTheFileFormat() {
        #expect(Set(FollowUpCondition.allCases.map(\.rawValue)) == [
            "no_numbers", "has_numbers", "missing_situation", "has_situation", "missing_task", "has_task",
            "missing_action", "has_action", "missing_result", "has_result", "too_short", "too_long", "many_fillers",
            "we_without_i", "first_follow_up", "later_follow_up",
        ])
    }
}
