import Testing
@testable import Interview

@Suite struct AnswerScorerTests {
    let ref = TemplateRef(id: "rubric.test", version: "v")

    func score(_ answer: String, question: String = "Tell me about a time you missed a deadline.", targetSeconds: Int = 60,
               speakingMs: Int64? = nil, longPauses: Int = 0, rubric: Rubric = .standard) -> AnswerScore {
        AnswerScorer.score(ScoringInput(questionID: "q1", questionText: question, answerText: answer,
                                        analysis: AnswerAnalyzer.analyze(answer), targetSeconds: targetSeconds,
                                        speakingMs: speakingMs, longPauses: longPauses),
                           rubric: rubric, rubricRef: ref)
    }

    static let strong = """
        At my last job we missed a deadline for a customer launch. My goal was to recover within one sprint. \
        I decided to cut two features, I rewrote the release plan in Jira and I talked to the customer every day. \
        As a result we shipped 6 days later instead of a month, and the customer renewed for 2 years. Missing \
        that deadline taught me to flag risks a week earlier.
        """

    @Test func structureCountsStarParts() {
        #expect(score(Self.strong).scores[.structure] == 100)
        #expect(score("I decided to rewrite it.").scores[.structure] == 25)
        #expect(score("It was fine.").scores[.structure] == 0)
        #expect(score(Self.strong).evidence[.structure] == "STAR parts heard: situation, task, action, result (4 of 4)")
    }

    @Test func specificityNeedsNumbersNamesAndAnOutcome() {
        let strong = score(Self.strong)
        #expect(strong.scores[.specificity] == 100)
        #expect(strong.evidence[.specificity]?.contains("jira") == true)
        #expect(score("We talked and things got better over time.").scores[.specificity] == 0)
        #expect(score("It took 3 weeks.").scores[.specificity] == 40)
    }

    @Test func relevanceFollowsTheQuestionsWords() {
        #expect(score(Self.strong).scores[.relevance]! > score("I like cooking pasta on Sundays with friends.").scores[.relevance]!)
        #expect(score("").scores[.relevance] == 0)
    }

    @Test func concisionPeaksAroundTheTarget() {
        #expect(AnswerScorer.concision(ratio: 0.6) == 100)
        #expect(AnswerScorer.concision(ratio: 1.2) == 100)
        #expect(AnswerScorer.concision(ratio: 0.3) == 50)
        #expect(AnswerScorer.concision(ratio: 2.5) == 0)
        #expect(AnswerScorer.concision(ratio: 0) == 0)
    }

    @Test func deliveryUsesPaceOnlyForSpokenAnswers() {
        let words = Array(repeating: "word", count: 150).joined(separator: " ")
        #expect(score(words, speakingMs: 60_000).scores[.delivery] == 100)   // 150 words a minute
        #expect(score(words, speakingMs: 30_000).scores[.delivery] == 60)    // 300 a minute: the pace penalty caps at 40
        #expect(score(words).scores[.delivery] == 100)                       // typed: no pace
        #expect(score(words, speakingMs: 60_000, longPauses: 2).scores[.delivery] == 90)
        #expect(score("um so um like, um, I guess maybe it worked").scores[.delivery]! < 70)
    }

    @Test func remarksNameTheBestAndWorstWeightedCriteria() {
        let result = score("I decided to rewrite it.")
        #expect(result.improvement.criterion == .specificity)
        #expect(result.improvement.text == Rubric.standard.improvements[.specificity])
        var rubric = Rubric.standard
        rubric.weights[.specificity] = 0  // left out of the overall score and of the remarks
        #expect(score("I decided to rewrite it.", rubric: rubric).improvement.criterion != .specificity)
    }

    @Test func theRubricWeighsTheOverallScore() {
        var structureOnly = Rubric.standard
        structureOnly.weights = [.structure: 1, .specificity: 0, .relevance: 0, .concision: 0, .delivery: 0]
        #expect(score("I decided to rewrite it.", rubric: structureOnly).overall == 25)
        #expect(score(Self.strong).overall > score("It was fine.").overall)
    }

    @Test func theReportAveragesAndFindsTheTrend() {
        let weak = score("It was fine.")
        let strong = score(Self.strong)
        let report = SessionReport.from([weak, strong], kinds: ["q1": .main], rubric: .standard)
        #expect(report.trend == .improving)
        #expect(report.averages["structure"] == 50)
        #expect(report.practise.count == 3)
        #expect(SessionReport.trend([80, 80, 60, 60]) == .declining)
        #expect(SessionReport.trend([70, 72]) == .steady)
        #expect(SessionReport.trend([70]) == .notEnoughAnswers)
    }
}
