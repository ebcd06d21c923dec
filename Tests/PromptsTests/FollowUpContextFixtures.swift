import Interview

/// A main question as the plan would have asked it.
func mainQuestion(topic: String = "teamwork", text: String = "Tell me about a time you worked in a team.") -> PlannedQuestion {
    PlannedQuestion(text: text, kind: .main, template: TemplateRef(id: "interview.first", version: "000000000000"),
                    topic: topic)
}

/// An answer that gives no follow-up condition a reason to hold (except `first_follow_up`, which depends on the
/// count): long enough, with numbers, every STAR part, "I", and few fillers.
let completeAnswer = AnswerAnalysis(wordCount: 120, fillers: ["um": 1], mentionsNumbers: true,
                                    starParts: Set(AnswerAnalysis.StarPart.allCases), firstPersonSingular: 5,
                                    firstPersonPlural: 2)

func context(_ answer: AnswerAnalysis = completeAnswer, topic: String = "teamwork", followUpsAsked: Int = 0,
             used: Set<String> = [], questionText: String = "Tell me about a time you worked in a team.",
             targetSeconds: Int = 120) -> FollowUpContext {
    FollowUpContext(mainQuestion: mainQuestion(topic: topic, text: questionText), answerText: "…", answer: answer,
                    followUpsAsked: followUpsAsked, usedTemplates: used, targetAnswerSeconds: targetSeconds)
}

/// `completeAnswer` with one change.
func answer(_ change: (inout AnswerAnalysis) -> Void) -> AnswerAnalysis {
    var answer = completeAnswer
    change(&answer)
    return answer
}
