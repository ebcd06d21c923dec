import Testing
import Interview
import Prompts

/// How `TrackPlan` picks the follow-up to ask.
@Suite struct FollowUpSelectionTests {
    /// Two tracks; shared follow-ups, one only for the failure topic, one for each track.
    static let files = BaseLibrary.with([
        BaseLibrary.trackFile: track(id: "interview", questions: ["interview.first", "interview.failure"], maxFollowUps: 2),
        "other.track.yaml": track(id: "other", questions: ["other.only"], maxFollowUps: 1),
        "questions/failure.prompt": question(id: "interview.failure", topic: "failure"),
        "questions/other.prompt": question(id: "other.only", track: "other"),
        "follow-ups/high.prompt": followUp(id: "shared.numbers-high", when: ["no_numbers"], priority: 90),
        "follow-ups/low.prompt": followUp(id: "shared.numbers-low", when: ["no_numbers"], priority: 10),
        "follow-ups/failure.prompt": followUp(id: "failure.result", when: ["missing_result"], priority: 100,
                                              topics: ["failure"]),
        "follow-ups/short.prompt": followUp(id: "interview.short", when: ["too_short", "first_follow_up"],
                                            priority: 50, track: "interview"),
        "follow-ups/other.prompt": followUp(id: "other.numbers", when: ["no_numbers"], priority: 1000, track: "other"),
    ])

    static func plans() throws -> (interview: TrackPlan, other: TrackPlan) {
        let library = try validLibrary(files)
        return (try #require(library.plan(forTrack: "interview")), try #require(library.plan(forTrack: "other")))
    }

    static let noNumbers = answer { $0.mentionsNumbers = false }
    static let short = answer { $0.wordCount = 12 }

    @Test func highestPriorityWins() throws {
        let chosen = try Self.plans().interview.explainFollowUp(for: context(Self.noNumbers)).chosen
        #expect(chosen?.id == "shared.numbers-high")
        #expect(chosen?.conditions == [.noNumbers])
    }

    @Test func aUsedTemplateIsNeverRepeated() throws {
        let plan = try Self.plans().interview
        #expect(plan.explainFollowUp(for: context(Self.noNumbers, used: ["shared.numbers-high"])).chosen?.id
                == "shared.numbers-low")
        #expect(plan.followUp(for: context(Self.noNumbers, used: ["shared.numbers-high", "shared.numbers-low"])) == nil)
    }

    @Test func noFollowUpWhenNoConditionHolds() throws {
        #expect(try Self.plans().interview.followUp(for: context()) == nil)
    }

    @Test func everyConditionOfATemplateMustHold() throws {
        let plan = try Self.plans().interview
        #expect(plan.explainFollowUp(for: context(Self.short)).chosen?.id == "interview.short")
        #expect(plan.explainFollowUp(for: context(Self.short, followUpsAsked: 1)).chosen == nil,
                "first_follow_up no longer holds")
    }

    @Test func maxFollowUpsOfTheTrackIsRespected() throws {
        let (interview, other) = try Self.plans()
        #expect(interview.followUp(for: context(Self.noNumbers, followUpsAsked: 1)) != nil)
        #expect(interview.followUp(for: context(Self.noNumbers, followUpsAsked: 2)) == nil)
        #expect(other.followUp(for: context(Self.noNumbers, topic: "other.only", followUpsAsked: 0)) != nil)
        #expect(other.followUp(for: context(Self.noNumbers, topic: "other.only", followUpsAsked: 1)) == nil)
    }

    @Test func trackWithZeroFollowUpsNeverAsksOne() throws {
        var files = Self.files
        files["other.track.yaml"] = track(id: "other", questions: ["other.only"], maxFollowUps: 0)
        files["follow-ups/other.prompt"] = nil  // it would serve no track that asks follow-ups
        let plan = try #require(try validLibrary(files).plan(forTrack: "other"))
        #expect(plan.followUp(for: context(Self.noNumbers, topic: "other.only")) == nil)
    }

    @Test func topicTemplateOnlyForItsTopics() throws {
        let plan = try Self.plans().interview
        let noResult = answer { $0.starParts.remove(.result) }
        #expect(plan.explainFollowUp(for: context(noResult, topic: "failure")).chosen?.id == "failure.result")
        #expect(plan.followUp(for: context(noResult, topic: "teamwork")) == nil)
    }

    @Test func trackTemplatesServeOnlyTheirTrack() throws {
        let (interview, other) = try Self.plans()
        #expect(other.explainFollowUp(for: context(Self.noNumbers, topic: "other.only")).chosen?.id == "other.numbers")
        #expect(!interview.explainFollowUp(for: context(Self.noNumbers)).considered.map(\.template.id)
            .contains("other.numbers"))
        #expect(other.followUp(for: context(Self.short, topic: "other.only")) == nil,
                "interview.short belongs to the interview track")
    }

    @Test func sharedTemplatesServeEveryTrack() throws {
        let other = try Self.plans().other
        let chosen = other.explainFollowUp(for: context(Self.noNumbers, topic: "other.only", used: ["other.numbers"])).chosen
        #expect(chosen?.id == "shared.numbers-high")
    }

    @Test func equalPrioritiesAreOrderedById() throws {
        let library = try validLibrary(BaseLibrary.with([
            "b.prompt": followUp(id: "follow-up.b", when: ["no_numbers"], priority: 5),
            "a.prompt": followUp(id: "follow-up.a", when: ["no_numbers"], priority: 5),
            "c.prompt": followUp(id: "follow-up.c", when: ["no_numbers"], priority: 5),
        ]))
        let plan = try #require(library.plan(forTrack: "interview"))
        var used: Set<String> = []
        var order: [String] = []
        while let chosen = plan.explainFollowUp(for: context(Self.noNumbers, used: used)).chosen {
            order.append(chosen.id)
            used.insert(chosen.id)
        }
        #expect(order == ["follow-up.a", "follow-up.b", "follow-up.c"])
    }

    /// The explanation lists every follow-up serving the track, best first, with why each was passed over.
    @Test func explanationGivesAReasonForEveryTemplatePassedOver() throws {
        let plan = try Self.plans().interview
        let (chosen, considered) = plan.explainFollowUp(for: context(Self.noNumbers, used: ["shared.numbers-high"]))
        #expect(chosen?.id == "shared.numbers-low")
        #expect(considered.map(\.template.id) == ["failure.result", "shared.numbers-high", "interview.short",
                                                  "shared.numbers-low"])
        let reasons = Dictionary(uniqueKeysWithValues: considered.map { ($0.template.id, $0.passedOver) })
        #expect(reasons["shared.numbers-low"] == .some(nil))
        #expect(reasons["shared.numbers-high"]??.contains("already asked") == true)
        #expect(reasons["failure.result"]??.contains("failure") == true)
        #expect(reasons["interview.short"]??.contains("too_short") == true)
    }

    @Test func explanationAtTheLimitPassesOverEverything() throws {
        let plan = try Self.plans().interview
        let (chosen, considered) = plan.explainFollowUp(for: context(Self.noNumbers, followUpsAsked: 2))
        #expect(chosen == nil)
        #expect(!considered.isEmpty)
        #expect(considered.allSatisfy { $0.passedOver?.contains("2 follow-ups per question") == true })
    }

    /// `followUp` chooses without wording reasons; it must choose what the explanation says it chose.
    @Test func theChoiceIsTheOneTheExplanationGives() throws {
        let (interview, other) = try Self.plans()
        let answers = [completeAnswer, Self.noNumbers, Self.short, answer { $0.starParts.remove(.result) },
                       answer { $0.mentionsNumbers = false; $0.wordCount = 12 }]
        let useds: [Set<String>] = [[], ["shared.numbers-high"], ["shared.numbers-high", "shared.numbers-low"],
                                    ["other.numbers", "failure.result"]]
        var compared = 0
        for plan in [interview, other] {
            for answer in answers {
                for topic in ["teamwork", "failure", "other.only"] {
                    for used in useds {
                        for asked in 0...2 {
                            let context = context(answer, topic: topic, followUpsAsked: asked, used: used)
                            let explained = plan.explainFollowUp(for: context).chosen?.id
                            #expect(plan.chosenFollowUp(for: context)?.id == explained)
                            #expect(plan.followUp(for: context)?.template.id == explained)
                            if explained != nil { compared += 1 }
                        }
                    }
                }
            }
        }
        #expect(compared > 20, "the contexts choose a follow-up often enough to compare")
    }

    /// `answer_start` is the answer's first twelve words, however long the answer and however it is spaced.
    @Test func answerStartIsTheFirstTwelveWords() throws {
        let library = try validLibrary(BaseLibrary.with([
            "follow-ups/echo.prompt": followUp(id: "interview.echo", when: ["no_numbers"], priority: 500,
                                               inputs: ["answer_start"], body: "You said: {{answer_start}}?"),
        ]))
        let plan = try #require(library.plan(forTrack: "interview"))
        let words = (1...40).map { "w\($0)" }
        let spaced = "  " + words.joined(separator: " \n\t ") + "  "
        let long = FollowUpContext(mainQuestion: mainQuestion(), answerText: spaced, answer: Self.noNumbers,
                                   followUpsAsked: 0, usedTemplates: [], targetAnswerSeconds: 120)
        #expect(plan.followUp(for: long)?.text == "You said: " + words.prefix(12).joined(separator: " ") + "?")
        let short = FollowUpContext(mainQuestion: mainQuestion(), answerText: " just  five words right here ",
                                    answer: Self.noNumbers, followUpsAsked: 0, usedTemplates: [],
                                    targetAnswerSeconds: 120)
        #expect(plan.followUp(for: short)?.text == "You said: just five words right here?")
    }

    @Test func followUpIsAPlannedQuestionOfTheMainTopic() throws {
        let library = try validLibrary(Self.files)
        let plan = try #require(library.plan(forTrack: "interview"))
        let asked = try #require(plan.followUp(for: context(Self.noNumbers, topic: "teamwork")))
        let template = try #require(library.templates["shared.numbers-high"])
        #expect(asked.kind == .followUp)
        #expect(asked.template == template.ref)
        #expect(asked.topic == "teamwork")
        #expect(asked.text == "Follow-up shared.numbers-high?")
    }

    @Test func mainQuestionTopicDefaultsToTheTemplateId() throws {
        let asked = try Self.plans().other.mainQuestion(at: 0)
        #expect(asked.topic == "other.only")
        #expect(asked.kind == .main)
        #expect(asked.template.id == "other.only")
    }
}
